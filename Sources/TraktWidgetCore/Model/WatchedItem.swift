/// The `data` object of the contract: the one movie or episode shown on the page.
///
/// Its fields, and their order on the wire, are the original Express server's; see `LastWatchedBody`.
public struct WatchedItem: Equatable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case movie
        case episode
    }

    public var kind: Kind
    public var title: String?
    /// Episodes only.
    public var showTitle: String?
    public var season: Int?
    public var episode: Int?
    /// A movie's year, or an episode's show's year.
    public var year: Int?
    public var posterURL: String?
    public var traktURL: String?
    /// Trakt's string, unchanged.
    public var watchedAt: String

    public init(
        kind: Kind, title: String?, showTitle: String? = nil, season: Int? = nil, episode: Int? = nil,
        year: Int?, posterURL: String?, traktURL: String?, watchedAt: String
    ) {
        self.kind = kind
        self.title = title
        self.showTitle = showTitle
        self.season = season
        self.episode = episode
        self.year = year
        self.posterURL = posterURL
        self.traktURL = traktURL
        self.watchedAt = watchedAt
    }

    private enum CodingKeys: String, CodingKey {
        case kind = "type"
        case title
        case showTitle = "show_title"
        case season, episode, year
        case posterURL = "poster_url"
        case traktURL = "trakt_url"
        case watchedAt = "watched_at"
    }
}
