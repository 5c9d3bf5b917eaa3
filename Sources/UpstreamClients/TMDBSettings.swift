import TraktWidgetCore

/// How to reach TMDB and build poster URLs. Either credential works; with neither, posters are null.
public struct TMDBSettings: Sendable {
    public var apiURL: String
    public var apiKey: String?
    public var readToken: String?
    public var images: ImageSettings

    public init(apiURL: String, apiKey: String?, readToken: String?, images: ImageSettings) {
        self.apiURL = apiURL
        self.apiKey = apiKey
        self.readToken = readToken
        self.images = images
    }

    public var hasCredentials: Bool { apiKey != nil || readToken != nil }
}
