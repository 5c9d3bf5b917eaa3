/// One entry of `/sync/history/{movies,episodes}` or `/users/{id}/history/{…}`.
///
/// Decoding is lenient: unknown fields are ignored and every descriptive field may be null or missing.
public struct TraktHistoryItem: Codable, Equatable, Sendable {
    public struct Movie: Codable, Equatable, Sendable {
        public var title: String?
        public var year: Int?
        public var ids: TraktIDs

        public init(title: String?, year: Int?, ids: TraktIDs) {
            self.title = title
            self.year = year
            self.ids = ids
        }

        private enum CodingKeys: String, CodingKey { case title, year, ids }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            title = try? container.decodeIfPresent(String.self, forKey: .title)
            year = try? container.decodeIfPresent(Int.self, forKey: .year)
            ids = (try? container.decodeIfPresent(TraktIDs.self, forKey: .ids)) ?? TraktIDs()
        }
    }

    public struct Episode: Codable, Equatable, Sendable {
        public var season: Int?
        public var number: Int?
        public var title: String?
        public var ids: TraktIDs

        public init(season: Int?, number: Int?, title: String?, ids: TraktIDs) {
            self.season = season
            self.number = number
            self.title = title
            self.ids = ids
        }

        private enum CodingKeys: String, CodingKey { case season, number, title, ids }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            season = try? container.decodeIfPresent(Int.self, forKey: .season)
            number = try? container.decodeIfPresent(Int.self, forKey: .number)
            title = try? container.decodeIfPresent(String.self, forKey: .title)
            ids = (try? container.decodeIfPresent(TraktIDs.self, forKey: .ids)) ?? TraktIDs()
        }
    }

    public var watchedAt: String
    public var movie: Movie?
    public var episode: Episode?
    /// For an episode, the show it belongs to. Trakt calls it `show` and reuses the movie shape.
    public var show: Movie?

    public init(watchedAt: String, movie: Movie? = nil, episode: Episode? = nil, show: Movie? = nil) {
        self.watchedAt = watchedAt
        self.movie = movie
        self.episode = episode
        self.show = show
    }

    private enum CodingKeys: String, CodingKey {
        case watchedAt = "watched_at"
        case movie, episode, show
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Without a time there is nothing to order by; such an entry is not usable.
        watchedAt = try container.decode(String.self, forKey: .watchedAt)
        movie = try? container.decodeIfPresent(Movie.self, forKey: .movie)
        episode = try? container.decodeIfPresent(Episode.self, forKey: .episode)
        show = try? container.decodeIfPresent(Movie.self, forKey: .show)
    }
}
