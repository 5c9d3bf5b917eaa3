import CurlClient
import FoundationEssentials
import TraktWidgetCore

/// TMDB's movie and TV details, used only for `poster_path`.
public struct TMDBAPI: Sendable {
    public let settings: TMDBSettings

    public init(settings: TMDBSettings) {
        self.settings = settings
    }

    public func request(for reference: PosterReference) -> UpstreamRequest {
        var url = settings.apiURL + reference.path
        var headers = [("Accept", "application/json")]
        if let token = settings.readToken {
            headers.append(("Authorization", "Bearer \(token)"))
        } else if let key = settings.apiKey {
            url += "?api_key=\(PercentEncoding.encode(key))"
        }
        return UpstreamRequest(url: url, headers: headers)
    }

    /// `.success(nil)` is a definite "no poster" (null `poster_path`, or an id TMDB does not know), which
    /// is cached like a poster; `.failure` is TMDB failing, which is retried.
    public static func parsePosterPath(_ result: Result<UpstreamResponse, TransportError>) -> Result<String?, UpstreamFailure> {
        switch result {
        case .failure(let error): return .failure(.transport(error))
        case .success(let response) where response.status == 404: return .success(nil)
        case .success(let response) where !response.isSuccess: return .failure(.httpStatus(response.status))
        case .success(let response):
            guard let details = try? JSONDecoder().decode(TMDBDetails.self, from: Data(response.body)) else {
                return .failure(.malformed)
            }
            return .success(details.posterPath)
        }
    }
}
