/// How poster URLs are built: `{baseURL}/{size}{poster_path}`.
public struct ImageSettings: Equatable, Sendable {
    public var baseURL: String
    public var posterSize: String

    public init(baseURL: String = "https://image.tmdb.org/t/p", posterSize: String = "w500") {
        self.baseURL = baseURL
        self.posterSize = posterSize
    }

    public func posterURL(for posterPath: String?) -> String? {
        guard let posterPath, !posterPath.isEmpty else { return nil }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let path = posterPath.hasPrefix("/") ? posterPath : "/" + posterPath
        return "\(base)/\(posterSize)\(path)"
    }

    /// `posterURL` at another TMDB size (`w154` for the card), only when it was built on this image base:
    /// the server fetches these bytes itself, so it never follows a URL from anywhere else.
    public func resized(_ posterURL: String?, to size: String) -> String? {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let prefix = "\(base)/\(posterSize)/"
        guard let posterURL, posterURL.hasPrefix(prefix), posterURL.utf8.count > prefix.utf8.count else { return nil }
        return "\(base)/\(size)/" + posterURL.dropFirst(prefix.count)
    }
}
