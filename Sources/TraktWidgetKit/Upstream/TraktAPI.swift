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
            "/users/\(Self.pathSegment(username))/history/\(kind.rawValue)"
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

    /// Usernames are slugs, but a configured value is still escaped rather than trusted into a path.
    static func pathSegment(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
