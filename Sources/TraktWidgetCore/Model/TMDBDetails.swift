/// The only part of TMDB's `/3/movie/{id}` and `/3/tv/{id}` that the widget needs.
public struct TMDBDetails: Decodable, Equatable, Sendable {
    public var posterPath: String?

    public init(posterPath: String?) {
        self.posterPath = posterPath
    }

    private enum CodingKeys: String, CodingKey { case posterPath = "poster_path" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        posterPath = try? container.decodeIfPresent(String.self, forKey: .posterPath)
    }
}
