/// An error as the client sees it: status, stable code, a human message, and its own headers.
///
/// The message is written here, from the code, never from an upstream body, so no token, secret or
/// upstream text can reach a response.
public struct APIError: Error, Equatable, Sendable {
    public var status: Int
    public var code: ErrorCode
    public var message: String
    public var headers: [(String, String)]

    public static func == (lhs: APIError, rhs: APIError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message
            && lhs.headers.elementsEqual(rhs.headers, by: ==)
    }

    public init(status: Int, code: ErrorCode, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func upstreamUnavailable(retryAfter: Int, provider: ProviderKind = .trakt) -> APIError {
        APIError(
            status: 503, code: .upstreamUnavailable,
            message: "\(provider.displayName) is not answering right now and nothing is cached yet; try again shortly.",
            headers: [("Cache-Control", "no-store"), ("Retry-After", String(max(1, retryAfter)))]
        )
    }

    public static func reauthRequired(retryAfter: Int, provider: ProviderKind = .trakt) -> APIError {
        let command = provider == .trakt ? "trakt-widget auth" : "trakt-widget auth --provider \(provider.rawValue)"
        return APIError(
            status: 503, code: .reauthRequired,
            message: "The \(provider.displayName) authorization is no longer valid; the operator must run `\(command)`.",
            headers: [("Cache-Control", "no-store"), ("Retry-After", String(max(1, retryAfter)))]
        )
    }

    public static let notFound = APIError(status: 404, code: .notFound, message: "No such endpoint.")

    /// `/api/trakt/last` on a deployment that reads another provider.
    public static func traktPathUnused(provider: ProviderKind) -> APIError {
        APIError(
            status: 404, code: .notFound,
            message: "This deployment reads \(provider.displayName), not Trakt; use /api/watch/last."
        )
    }

    public static let methodNotAllowed = APIError(
        status: 405, code: .methodNotAllowed, message: "Only GET and HEAD are allowed here.",
        headers: [("Allow", "GET, HEAD")]
    )

    public static let badRequest = APIError(
        status: 400, code: .badRequest, message: "The request could not be understood."
    )

    /// A query parameter out of its range; the message names it and what it accepts.
    public static func invalidParameter(_ name: String, expected: String) -> APIError {
        APIError(status: 400, code: .invalidParameter, message: "Invalid `\(name)`: expected \(expected).")
    }

    public static let uriTooLong = APIError(
        status: 414, code: .uriTooLong, message: "The request URI is too long."
    )

    public var body: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", false)
        json.string("code", code.rawValue)
        json.string("error", message)
        json.endObject()
        return json.bytes
    }
}
