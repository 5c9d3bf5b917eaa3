/// The two timestamps of `/sync/last_activities` that decide whether history must be fetched again.
public struct TraktLastActivities: Equatable, Sendable, Codable {
    public var moviesWatchedAt: String?
    public var episodesWatchedAt: String?

    public init(moviesWatchedAt: String?, episodesWatchedAt: String?) {
        self.moviesWatchedAt = moviesWatchedAt
        self.episodesWatchedAt = episodesWatchedAt
    }

    private struct Section: Decodable {
        var watched_at: String?
    }

    private enum CodingKeys: String, CodingKey { case movies, episodes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        moviesWatchedAt = (try? container.decodeIfPresent(Section.self, forKey: .movies))??.watched_at
        episodesWatchedAt = (try? container.decodeIfPresent(Section.self, forKey: .episodes))??.watched_at
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(["watched_at": moviesWatchedAt], forKey: .movies)
        try container.encode(["watched_at": episodesWatchedAt], forKey: .episodes)
    }
}
