/// How to reach Simkl and who we are to it. `client_id`, `app-name` and `app-version` go on every
/// request as query parameters, as Simkl asks.
public struct SimklSettings: Sendable {
    public static let appName = "trakt-widget"

    public var apiURL: String
    public var clientID: String
    public var appVersion: String

    public init(apiURL: String, clientID: String, appVersion: String) {
        self.apiURL = apiURL
        self.clientID = clientID
        self.appVersion = appVersion
    }
}
