import CurlClient
import TraktWidgetCore

/// Turns one HTTP exchange with a provider into a body or a typed `ProviderFailure`, the same way for
/// Simkl and Letterboxd: 401 is a revoked authorization, 429 a rate limit (Cloudflare's HTML one
/// included), anything else non-2xx or a transport error is "unavailable" with a stable code.
public enum ProviderResponse {
    /// The body of a 2xx answer, or the failure.
    public static func body(_ result: Result<UpstreamResponse, TransportError>, kind: ProviderKind) -> Result<[UInt8], ProviderFailure> {
        check(result, kind: kind).map(\.body)
    }

    public static func check(_ result: Result<UpstreamResponse, TransportError>, kind: ProviderKind) -> Result<UpstreamResponse, ProviderFailure> {
        let prefix = kind.rawValue.uppercased()
        switch result {
        case .failure(.timedOut):
            return .failure(.unavailable(code: "\(prefix)_TIMEOUT"))
        case .failure(.couldNotConnect):
            return .failure(.unavailable(code: "\(prefix)_UNREACHABLE"))
        case .failure:
            return .failure(.unavailable(code: "\(prefix)_TRANSPORT_ERROR"))
        case .success(let response) where response.isSuccess || response.status == 304:
            return .success(response)
        case .success(let response):
            switch response.status {
            case 401:
                return .failure(.reauthRequired)
            case 429:
                return .failure(.rateLimited(retryAfter: response.headers["retry-after"].flatMap(UpstreamFailure.retryAfterSeconds)))
            case 403 where response.isHTML:
                return .failure(.unavailable(code: "\(prefix)_BLOCKED"))
            case 403:
                return .failure(.unavailable(code: "\(prefix)_FORBIDDEN"))
            default:
                return .failure(.unavailable(code: "\(prefix)_HTTP_\(response.status)"))
            }
        }
    }
}
