/// The `data` object of the contract: the one movie or episode shown on the page.
///
/// Its fields, and their order on the wire, are the original Express server's; see `LastWatchedBody`.
public struct WatchedItem: Equatable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case movie
        case episode
    }

    /// How much of `watchedAt` is real: Letterboxd only knows the day.
    public enum Precision: String, Sendable, Codable {
        case instant
        case day
    }

    public var kind: Kind
    public var title: String?
    /// Episodes only.
    public var showTitle: String?
    /// Nil for anime with absolute numbering (Simkl's `E148`).
    public var season: Int?
    public var episode: Int?
    /// A movie's year, or an episode's show's year.
    public var year: Int?
    public var posterURL: String?
    /// The item's page at the provider (`trakt_url` on the Trakt route).
    public var url: String?
    /// The provider's string, unchanged: an instant, or a bare date (`2026-08-02`) for `.day`.
    public var watchedAt: String
    public var precision: Precision
    /// Letterboxd's member rating (0.5–5.0) and rewatch flag; nil elsewhere.
    public var rating: Double?
    public var rewatch: Bool?

    public init(
        kind: Kind, title: String?, showTitle: String? = nil, season: Int? = nil, episode: Int? = nil,
        year: Int?, posterURL: String?, url: String?, watchedAt: String, precision: Precision = .instant,
        rating: Double? = nil, rewatch: Bool? = nil
    ) {
        self.kind = kind
        self.title = title
        self.showTitle = showTitle
        self.season = season
        self.episode = episode
        self.year = year
        self.posterURL = posterURL
        self.url = url
        self.watchedAt = watchedAt
        self.precision = precision
        self.rating = rating
        self.rewatch = rewatch
    }

    private enum CodingKeys: String, CodingKey {
        case kind = "type"
        case title
        case showTitle = "show_title"
        case season, episode, year
        case posterURL = "poster_url"
        case url
        case legacyTraktURL = "trakt_url"
        case watchedAt = "watched_at"
        case precision, rating, rewatch
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        showTitle = try container.decodeIfPresent(String.self, forKey: .showTitle)
        season = try container.decodeIfPresent(Int.self, forKey: .season)
        episode = try container.decodeIfPresent(Int.self, forKey: .episode)
        year = try container.decodeIfPresent(Int.self, forKey: .year)
        posterURL = try container.decodeIfPresent(String.self, forKey: .posterURL)
        // Results persisted before the providers existed carry `trakt_url`.
        url = try container.decodeIfPresent(String.self, forKey: .url)
            ?? container.decodeIfPresent(String.self, forKey: .legacyTraktURL)
        watchedAt = try container.decode(String.self, forKey: .watchedAt)
        precision = try container.decodeIfPresent(Precision.self, forKey: .precision) ?? .instant
        rating = try container.decodeIfPresent(Double.self, forKey: .rating)
        rewatch = try container.decodeIfPresent(Bool.self, forKey: .rewatch)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(title, forKey: .title)
        try container.encodeIfPresent(showTitle, forKey: .showTitle)
        try container.encodeIfPresent(season, forKey: .season)
        try container.encodeIfPresent(episode, forKey: .episode)
        try container.encodeIfPresent(year, forKey: .year)
        try container.encodeIfPresent(posterURL, forKey: .posterURL)
        try container.encodeIfPresent(url, forKey: .url)
        try container.encode(watchedAt, forKey: .watchedAt)
        try container.encode(precision, forKey: .precision)
        try container.encodeIfPresent(rating, forKey: .rating)
        try container.encodeIfPresent(rewatch, forKey: .rewatch)
    }
}
