import CurlClient
import FoundationEssentials
import TraktWidgetCore

/// Trakt's history, watching and last-activities endpoints: how to ask, and how to read the answer.
public struct TraktAPI: Sendable {
    public let settings: TraktSettings

    public init(settings: TraktSettings) {
        self.settings = settings
    }

    /// Movies and episodes together, newest first: one call for the last item and the recent list.
    /// `limit` is always sent: without it Trakt answers 100 items.
    public func historyRequest(limit: Int, accessToken: String?) -> UpstreamRequest {
        let path = if let username = settings.publicUsername {
            "/users/\(PercentEncoding.encode(username))/history"
        } else {
            "/sync/history"
        }
        return UpstreamRequest(url: settings.apiURL + path + "?limit=\(limit)", headers: headers(accessToken: accessToken))
    }

    /// `/users/me/watching` with the token, `/users/{username}/watching` in public mode.
    public func watchingRequest(accessToken: String?) -> UpstreamRequest {
        let user = settings.publicUsername.map(PercentEncoding.encode) ?? "me"
        return UpstreamRequest(url: settings.apiURL + "/users/\(user)/watching", headers: headers(accessToken: accessToken))
    }

    public func lastActivitiesRequest(accessToken: String?) -> UpstreamRequest {
        UpstreamRequest(url: settings.apiURL + "/sync/last_activities", headers: headers(accessToken: accessToken))
    }

    /// The entries, newest first. An entry without a time is skipped, not a failure of the whole list.
    public static func parseHistory(_ result: Result<UpstreamResponse, TransportError>) -> Result<[TraktHistoryItem], UpstreamFailure> {
        decode([Skippable<TraktHistoryItem>].self, from: result).map { $0.compactMap(\.value) }
    }

    private struct Skippable<Value: Decodable>: Decodable {
        var value: Value?

        init(from decoder: any Decoder) throws {
            value = try? Value(from: decoder)
        }
    }

    /// What plays now; nil for Trakt's 204 (idle).
    public static func parseWatching(_ result: Result<UpstreamResponse, TransportError>) -> Result<TraktWatching?, UpstreamFailure> {
        if case .success(let response) = result, response.status == 204 { return .success(nil) }
        return decode(TraktWatching.self, from: result).map { $0 }
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
