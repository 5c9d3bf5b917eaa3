/// The body of Trakt's `GET /users/{id}/watching` (200; 204 means idle): the history item shape
/// without `id` and `watched_at`, plus the playing window and how it started.
public struct TraktWatching: Decodable, Equatable, Sendable {
    public var startedAt: String
    public var expiresAt: String
    public var action: WatchingNow.Action
    /// The movie, or the episode and its show, read exactly as a history entry.
    public var media: TraktHistoryItem

    public init(startedAt: String, expiresAt: String, action: WatchingNow.Action, media: TraktHistoryItem) {
        self.startedAt = startedAt
        self.expiresAt = expiresAt
        self.action = action
        self.media = media
    }

    private enum CodingKeys: String, CodingKey {
        case startedAt = "started_at"
        case expiresAt = "expires_at"
        case action, movie, episode, show
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        startedAt = try container.decode(String.self, forKey: .startedAt)
        expiresAt = try container.decode(String.self, forKey: .expiresAt)
        // Trakt documents checkin and scrobble only; anything else is still something playing.
        action = (try? container.decode(WatchingNow.Action.self, forKey: .action)) ?? .scrobble
        media = TraktHistoryItem(
            watchedAt: startedAt,
            movie: try? container.decodeIfPresent(TraktHistoryItem.Movie.self, forKey: .movie),
            episode: try? container.decodeIfPresent(TraktHistoryItem.Episode.self, forKey: .episode),
            show: try? container.decodeIfPresent(TraktHistoryItem.Movie.self, forKey: .show)
        )
    }

    /// The contract's `watching`, with the poster found for `media`; nil when it names neither a movie
    /// nor an episode.
    public func watchingNow(posterPath: String?, images: ImageSettings) -> WatchingNow? {
        WatchedItemFormatter.format(media, posterPath: posterPath, images: images).map {
            WatchingNow(item: $0, startedAt: startedAt, expiresAt: expiresAt, action: action)
        }
    }
}
