/// One entry of `/sync/all-items`: a show, an anime or a movie in the user's library.
public struct SimklEntry: Decodable, Equatable, Sendable {
    public var lastWatchedAt: String?
    /// The show-level marker of the last episode watched: `S01E05`, or `E148` for absolute numbering.
    public var lastWatched: String?
    public var status: String?
    /// `tv`, `movie`, `ova`, … for anime; an anime `movie` is a movie.
    public var animeType: String?
    public var show: SimklMedia?
    public var movie: SimklMedia?

    public init(
        lastWatchedAt: String?, lastWatched: String? = nil, status: String? = nil, animeType: String? = nil,
        show: SimklMedia? = nil, movie: SimklMedia? = nil
    ) {
        self.lastWatchedAt = lastWatchedAt
        self.lastWatched = lastWatched
        self.status = status
        self.animeType = animeType
        self.show = show
        self.movie = movie
    }

    private enum CodingKeys: String, CodingKey {
        case lastWatchedAt = "last_watched_at"
        case lastWatched = "last_watched"
        case status
        case animeType = "anime_type"
        case show, movie
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastWatchedAt = try? container.decodeIfPresent(String.self, forKey: .lastWatchedAt)
        lastWatched = try? container.decodeIfPresent(String.self, forKey: .lastWatched)
        status = try? container.decodeIfPresent(String.self, forKey: .status)
        animeType = try? container.decodeIfPresent(String.self, forKey: .animeType)
        show = try? container.decodeIfPresent(SimklMedia.self, forKey: .show)
        movie = try? container.decodeIfPresent(SimklMedia.self, forKey: .movie)
    }
}
