/// The newest item of each Trakt history (movies, episodes) as Trakt last answered for it; nil for a
/// history that is empty. Kept with the result so a refresh where one side fails keeps that side's
/// last good item instead of treating it as "no history".
public struct HistorySides: Equatable, Sendable, Codable {
    public var movie: TraktHistoryItem?
    public var episode: TraktHistoryItem?

    public init(movie: TraktHistoryItem?, episode: TraktHistoryItem?) {
        self.movie = movie
        self.episode = episode
    }

    /// The item the widget shows.
    public var newest: TraktHistoryItem? {
        NewestItem.choose(movie: movie, episode: episode)
    }

    /// One refresh's answers merged with what was `known`: a side that failed keeps its last good item.
    /// Nil when a side failed and nothing is known for it: publishing the other side alone could show a
    /// months-old item as current, so the refresh counts as failed.
    public static func merge<Failure: Error>(
        known: HistorySides?, movie: Result<TraktHistoryItem?, Failure>, episode: Result<TraktHistoryItem?, Failure>
    ) -> HistorySides? {
        switch (movie, episode) {
        case (.success(let movie), .success(let episode)):
            return HistorySides(movie: movie, episode: episode)
        case (.failure, .success(let episode)):
            return known.map { HistorySides(movie: $0.movie, episode: episode) }
        case (.success(let movie), .failure):
            return known.map { HistorySides(movie: movie, episode: $0.episode) }
        case (.failure, .failure):
            return nil
        }
    }
}
