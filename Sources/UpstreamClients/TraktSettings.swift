/// Everything needed to address Trakt: hosts, app credentials and the mode.
public struct TraktSettings: Sendable {
    public var apiURL: String
    public var authURL: String
    public var clientID: String
    public var clientSecret: String?
    public var redirectURI: String
    /// Set in public mode: history comes from `/users/{username}/…` with no OAuth at all.
    public var publicUsername: String?

    public init(
        apiURL: String, authURL: String, clientID: String, clientSecret: String?, redirectURI: String,
        publicUsername: String?
    ) {
        self.apiURL = apiURL
        self.authURL = authURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.publicUsername = publicUsername
    }
}
