import UpstreamClients

/// Whose public feed to read, and where Letterboxd is (`LETTERBOXD_URL`, for tests).
public struct LetterboxdSettings: Sendable {
    public var baseURL: String
    public var username: String

    public init(baseURL: String, username: String) {
        self.baseURL = baseURL
        self.username = username
    }

    public var feedURL: String { baseURL + "/" + PercentEncoding.encode(username) + "/rss/" }
}
