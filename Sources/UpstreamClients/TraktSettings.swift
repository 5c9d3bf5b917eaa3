/// Everything needed to address Trakt: hosts, app credentials and the mode.
public struct TraktSettings: Sendable {
    public var apiURL: String
    public var authURL: String
    public var clientID: String
    public var clientSecret: String?
    public var redirectURI: String
    /// Set in public mode: history comes from `/users/{username}/…` with no OAuth at all.
    public var publicUsername: String?
    /// The total timeout of `/oauth/token` (`TRAKT_OAUTH_TIMEOUT`). Longer than the API calls': once
    /// the request is sent Trakt may spend the refresh token, and an answer lost to a timeout loses the
    /// pair. The call runs in the background, never on a request.
    public var tokenTimeout: Double

    public static let defaultTokenTimeout = 30.0

    public init(
        apiURL: String, authURL: String, clientID: String, clientSecret: String?, redirectURI: String,
        publicUsername: String?, tokenTimeout: Double = TraktSettings.defaultTokenTimeout
    ) {
        self.apiURL = apiURL
        self.authURL = authURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.publicUsername = publicUsername
        self.tokenTimeout = tokenTimeout
    }
}
