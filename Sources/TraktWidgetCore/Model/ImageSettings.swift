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
}
