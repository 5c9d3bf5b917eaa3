import CurlClient
import TraktWidgetCore
import UpstreamClients

/// Simkl's endpoints: how to ask. `Authorization: Bearer` only on `/sync/*`; the identifying query
/// parameters on everything; the User-Agent is the HTTP client's.
public struct SimklAPI: Sendable {
    public let settings: SimklSettings

    public init(settings: SimklSettings) {
        self.settings = settings
    }

    public func activitiesRequest(token: String) -> UpstreamRequest {
        request("/sync/activities", token: token)
    }

    /// The whole library (`dateFrom` nil, once after a start with nothing held) or what moved since.
    public func allItemsRequest(token: String, dateFrom: String?) -> UpstreamRequest {
        request("/sync/all-items/", token: token, extra: dateFrom.map { [("date_from", $0)] } ?? [])
    }

    public func pinRequest() -> UpstreamRequest {
        request("/oauth/pin", token: nil)
    }

    public func pinPollRequest(userCode: String) -> UpstreamRequest {
        request("/oauth/pin/" + PercentEncoding.encode(userCode), token: nil)
    }

    private func request(_ path: String, token: String?, extra: [(String, String)] = []) -> UpstreamRequest {
        let query = ([("client_id", settings.clientID), ("app-name", SimklSettings.appName), ("app-version", settings.appVersion)] + extra)
            .map { "\($0.0)=\(PercentEncoding.encode($0.1))" }
            .joined(separator: "&")
        var headers = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return UpstreamRequest(url: settings.apiURL + path + "?" + query, headers: headers)
    }
}
