/// Why a provider could not produce a snapshot, in the four cases the engine treats differently.
public enum ProviderFailure: Error, Equatable, Sendable {
    /// The user's authorization is gone (revoked, or a refresh was refused): serve stale, tell the operator.
    case reauthRequired
    /// The upstream asked us to slow down; no call before `retryAfter` seconds (when it said).
    case rateLimited(retryAfter: Double?)
    /// Anything transient: transport errors, 5xx, a Cloudflare block, a store outage. `code` is the
    /// stable value health reports as `last_error_code` (e.g. `SIMKL_HTTP_503`); never upstream text.
    case unavailable(code: String)
    /// The upstream answered 2xx with something that is not what it documents.
    case malformed

    public var retryAfter: Double? {
        if case .rateLimited(let seconds) = self { return seconds }
        return nil
    }

    /// The stable code for health, prefixed with the provider where the failure is the provider's.
    public func code(for kind: ProviderKind) -> String {
        let prefix = kind.rawValue.uppercased()
        switch self {
        case .reauthRequired: return ErrorCode.reauthRequired.rawValue
        case .rateLimited: return "\(prefix)_RATE_LIMITED"
        case .unavailable(let code): return code
        case .malformed: return "\(prefix)_MALFORMED_RESPONSE"
        }
    }

    /// Plain language for `check` and `last`; never upstream text.
    public func diagnosis(for kind: ProviderKind) -> String {
        let name = kind.displayName
        switch self {
        case .reauthRequired:
            let command = kind == .trakt ? "trakt-widget auth" : "trakt-widget auth --provider \(kind.rawValue)"
            return "\(name) no longer accepts this server's authorization. Run `\(command)`."
        case .rateLimited(let seconds):
            return "\(name) asked us to slow down (429)\(seconds.map { "; retry after \(Int(saturating: $0)) s" } ?? "")."
        case .unavailable(let code):
            return "\(name) could not be used right now (\(code)); it will be retried with backoff."
        case .malformed:
            return "\(name) answered with something that is not what it documents."
        }
    }

    /// The code a token store failure carries, whichever provider met it.
    public static let storeErrorCode = "TOKEN_STORE_ERROR"

    /// As the refresh scheduler keeps it: a store failure is never reported as an upstream one.
    public func refreshError(for kind: ProviderKind) -> RefreshError {
        switch self {
        case .reauthRequired: RefreshError(code: code(for: kind), source: .reauthRequired)
        case .unavailable(Self.storeErrorCode): RefreshError(code: Self.storeErrorCode, source: .store)
        default: RefreshError(code: code(for: kind), source: .upstream, retryAfter: retryAfter)
        }
    }
}
