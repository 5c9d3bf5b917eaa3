/// What to ask TMDB for a poster: a movie by its id, or a show (never an episode) by the show's id.
public struct PosterReference: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case movie
        case tv
    }

    public var kind: Kind
    public var tmdbID: Int

    public init(kind: Kind, tmdbID: Int) {
        self.kind = kind
        self.tmdbID = tmdbID
    }

    /// The TMDB v3 path for this reference.
    public var path: String { "/3/\(kind.rawValue)/\(tmdbID)" }
}
