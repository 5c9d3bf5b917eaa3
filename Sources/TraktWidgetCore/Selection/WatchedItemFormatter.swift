/// Turns a Trakt history entry (plus its TMDB poster path) into the contract's `WatchedItem`.
public enum WatchedItemFormatter {
    /// Where to look up the poster: a movie's own TMDB id, or for an episode its *show's* TMDB id.
    /// `episode.ids.tmdb` is TMDB's episode id, which `/3/tv/{id}` would misread as a show.
    public static func posterReference(for item: TraktHistoryItem) -> PosterReference? {
        if let movie = item.movie {
            return movie.ids.tmdb.map { PosterReference(kind: .movie, tmdbID: $0) }
        }
        if item.episode != nil {
            return item.show?.ids.tmdb.map { PosterReference(kind: .tv, tmdbID: $0) }
        }
        return nil
    }

    public static func format(_ item: TraktHistoryItem, posterPath: String?, images: ImageSettings) -> WatchedItem? {
        let posterURL = images.posterURL(for: posterPath)
        if let movie = item.movie {
            return WatchedItem(
                kind: .movie,
                title: movie.title,
                year: movie.year,
                posterURL: posterURL,
                url: movie.ids.slug.flatMap(nonEmpty).map { "https://trakt.tv/movies/\($0)" },
                watchedAt: item.watchedAt
            )
        }
        if let episode = item.episode {
            let show = item.show
            return WatchedItem(
                kind: .episode,
                title: episodeTitle(episode, showTitle: show?.title),
                showTitle: show?.title,
                season: episode.season,
                episode: episode.number,
                year: show?.year,
                posterURL: posterURL,
                url: episodeURL(showSlug: show?.ids.slug, season: episode.season, number: episode.number),
                watchedAt: item.watchedAt
            )
        }
        return nil
    }

    /// The episode's own title, or `"<Show> S<season>E<number>"` (unpadded) when Trakt has none.
    static func episodeTitle(_ episode: TraktHistoryItem.Episode, showTitle: String?) -> String? {
        if let title = episode.title.flatMap(nonEmpty) { return title }
        let code = "S\(episode.season.map(String.init) ?? "?")E\(episode.number.map(String.init) ?? "?")"
        guard let showTitle = showTitle.flatMap(nonEmpty) else { return code }
        return "\(showTitle) \(code)"
    }

    static func episodeURL(showSlug: String?, season: Int?, number: Int?) -> String? {
        guard let slug = showSlug.flatMap(nonEmpty) else { return nil }
        guard let season, let number else { return "https://trakt.tv/shows/\(slug)" }
        return "https://trakt.tv/shows/\(slug)/seasons/\(season)/episodes/\(number)"
    }

    private static func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }
}
