import CurlClient
import FoundationEssentials
import TraktWidgetCore

/// Trakt's history and last-activities endpoints: how to ask, and how to read the answer.
public struct TraktAPI: Sendable {
    public enum HistoryKind: String, Sendable {
        case movies
        case episodes
    }

    public let settings: TraktSettings

    public init(settings: TraktSettings) {
        self.settings = settings
    }

    public func historyRequest(_ kind: HistoryKind, accessToken: String?) -> UpstreamRequest {
        let path = if let username = settings.publicUsername {
            "/users/\(PercentEncoding.encode(username))/history/\(kind.rawValue)"
        } else {
            "/sync/history/\(kind.rawValue)"
        }
        return UpstreamRequest(url: settings.apiURL + path + "?limit=1", headers: headers(accessToken: accessToken))
    }

    public func lastActivitiesRequest(accessToken: String?) -> UpstreamRequest {
        UpstreamRequest(url: settings.apiURL + "/sync/last_activities", headers: headers(accessToken: accessToken))
    }

    /// The newest entry, nil for an empty history.
    public static func parseHistory(_ result: Result<UpstreamResponse, TransportError>) -> Result<TraktHistoryItem?, UpstreamFailure> {
        decode([TraktHistoryItem].self, from: result).map(\.first)
    }

    public static func parseLastActivities(_ result: Result<UpstreamResponse, TransportError>) -> Result<TraktLastActivities, UpstreamFailure> {
        decode(TraktLastActivities.self, from: result)
    }

    static func decode<T: Decodable>(_ type: T.Type, from result: Result<UpstreamResponse, TransportError>) -> Result<T, UpstreamFailure> {
        switch result {
        case .failure(let error):
            return .failure(.transport(error))
        case .success(let response) where !response.isSuccess:
            return .failure(.fromTrakt(response))
        case .success(let response):
            guard let value = try? JSONDecoder().decode(T.self, from: Data(response.body)) else {
                return .failure(.malformed)
            }
            return .success(value)
        }
    }

    private func headers(accessToken: String?) -> [(String, String)] {
        var headers = [
            ("Content-Type", "application/json"),
            ("trakt-api-version", "2"),
            ("trakt-api-key", settings.clientID),
        ]
        if let accessToken { headers.append(("Authorization", "Bearer \(accessToken)")) }
        return headers
    }
}
