import CurlClient
import TraktWidgetCore

/// Why talking to Trakt or TMDB failed, classified once, at the response boundary.
///
/// `code` is stable (health's `last_error_code`); `diagnosis` is plain language for `check`. Neither
/// ever contains an upstream body, a URL or a token.
public enum UpstreamFailure: Error, Equatable, Sendable {
    case transport(TransportError)
    /// 429: no Trakt call before `retryAfter` seconds pass.
    case rateLimited(retryAfter: Double?)
    /// 401 to an access token.
    case unauthorized
    /// No usable token: the refresh token was rejected (`invalid_grant`) or none was ever stored.
    case reauthRequired
    /// Cloudflare's HTML 403 (no or odd User-Agent, or a blocked IP).
    case blocked
    /// 403 that is Trakt's own: an invalid API key or a deleted app.
    case forbidden
    /// 426: the account cannot use this API app.
    case vipRequired
    case httpStatus(Int)
    case malformed

    public var code: String {
        switch self {
        case .transport(.timedOut): "TRAKT_TIMEOUT"
        case .transport(.couldNotConnect): "TRAKT_UNREACHABLE"
        case .transport: "TRAKT_TRANSPORT_ERROR"
        case .rateLimited: "TRAKT_RATE_LIMITED"
        case .unauthorized: "TRAKT_UNAUTHORIZED"
        case .reauthRequired: ErrorCode.reauthRequired.rawValue
        case .blocked: "TRAKT_BLOCKED"
        case .forbidden: "TRAKT_FORBIDDEN"
        case .vipRequired: "TRAKT_VIP_REQUIRED"
        case .httpStatus(let status): "TRAKT_HTTP_\(status)"
        case .malformed: "TRAKT_MALFORMED_RESPONSE"
        }
    }

    public var retryAfter: Double? {
        if case .rateLimited(let seconds) = self { return seconds }
        return nil
    }

    public var diagnosis: String {
        switch self {
        case .transport(let error): "Trakt could not be reached: \(error). Check DNS, the firewall and TRAKT_API_URL."
        case .rateLimited(let seconds):
            "Trakt answered 429 (rate limited)\(seconds.map { "; retry after \(Int(saturating: $0)) s" } ?? ""). Another app on this client id or IP may be using the quota."
        case .unauthorized: "Trakt answered 401: the access token was not accepted."
        case .reauthRequired: "No usable Trakt token: the refresh token was rejected or never stored. Run `trakt-widget auth`."
        case .blocked: "Trakt's Cloudflare answered 403 with an HTML page: the request was blocked (User-Agent or IP)."
        case .forbidden: "Trakt answered 403: the client id is invalid or the API app was deleted. Check TRAKT_CLIENT_ID."
        case .vipRequired: "Trakt answered 426: this Trakt account cannot use API apps (VIP required)."
        case .httpStatus(let status) where status >= 500: "Trakt answered \(status): Trakt itself is having trouble; it will be retried with backoff."
        case .httpStatus(let status): "Trakt answered \(status)."
        case .malformed: "Trakt answered with something that is not the expected JSON."
        }
    }

    /// Classifies a non-2xx Trakt API response.
    static func fromTrakt(_ response: UpstreamResponse) -> UpstreamFailure {
        switch response.status {
        case 401: return .unauthorized
        case 403: return response.isHTML ? .blocked : .forbidden
        case 426: return .vipRequired
        case 429: return .rateLimited(retryAfter: response.headers["retry-after"].flatMap(Self.retryAfterSeconds))
        default: return .httpStatus(response.status)
        }
    }

    /// The longest `Retry-After` honoured: a bigger value is a broken header, and a day is long enough.
    static let longestRetryAfter = 86_400.0

    /// `Retry-After` in seconds (the HTTP-date form is not used by Trakt), bounded to a day.
    static func retryAfterSeconds(_ header: String) -> Double? {
        guard let seconds = Double(header.trimmingCharacters(in: " \t")), seconds.isFinite, seconds >= 0 else { return nil }
        return min(seconds, longestRetryAfter)
    }

    /// Of several failures, the one that should drive the backoff: a rate limit first (it carries a
    /// deadline), then a re-auth, then whatever came first.
    public static func mostSevere(_ failures: [UpstreamFailure]) -> UpstreamFailure {
        failures.first { if case .rateLimited = $0 { true } else { false } }
            ?? failures.first { $0 == .reauthRequired }
            ?? failures.first!
    }
}
