/// Chooses which of the latest movie and the latest episode is shown: the one watched last.
public enum NewestItem {
    /// The newer of two candidates by `watched_at`. On a tie the movie wins, which is arbitrary but stable.
    /// An unparsable time loses against a parsable one, so a malformed entry never hides a good one.
    public static func choose(movie: TraktHistoryItem?, episode: TraktHistoryItem?) -> TraktHistoryItem? {
        switch (movie, episode) {
        case (nil, nil): return nil
        case (let only?, nil), (nil, let only?): return only
        case (let movie?, let episode?):
            let movieTime = Timestamp.parse(movie.watchedAt) ?? -.infinity
            let episodeTime = Timestamp.parse(episode.watchedAt) ?? -.infinity
            return episodeTime > movieTime ? episode : movie
        }
    }
}
