/// The stable, machine-readable `code` of every error body. Clients switch on these; never rename one.
public enum ErrorCode: String, Sendable, Equatable {
    case upstreamUnavailable = "UPSTREAM_UNAVAILABLE"
    case reauthRequired = "REAUTH_REQUIRED"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case badRequest = "BAD_REQUEST"
    case invalidParameter = "INVALID_PARAMETER"
    case uriTooLong = "URI_TOO_LONG"
}
