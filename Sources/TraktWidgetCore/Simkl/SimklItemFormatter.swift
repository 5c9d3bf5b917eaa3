/// Turns a Simkl library entry into the contract's item, with where its poster may be found.
public enum SimklItemFormatter {
    /// Simkl's own artwork, the fallback when TMDB has no poster (anime often has no TMDB id).
    public static let posterBase = "https://simkl.in/posters/"

    public static func format(_ entry: SimklEntry, bucket: SimklLibrary.Bucket) -> UnresolvedItem? {
        guard let watchedAt = entry.lastWatchedAt, let media = entry.movie ?? entry.show else { return nil }
        let isMovie = bucket == .movies || entry.animeType == "movie"
        let url = pageURL(bucket: bucket, ids: media.ids)
        let fallback = media.poster.flatMap(nonEmpty).map { posterBase + $0 + "_m.webp" }
        if isMovie {
            let item = WatchedItem(
                kind: .movie, title: media.title, year: media.year, posterURL: nil, url: url, watchedAt: watchedAt
            )
            return UnresolvedItem(item: item, tmdb: media.ids.tmdb.map { PosterReference(kind: .movie, tmdbID: $0) }, fallbackPosterURL: fallback)
        }
        let marker = SimklEpisodeMarker.parse(entry.lastWatched)
        let item = WatchedItem(
            kind: .episode, title: episodeTitle(show: media.title, marker: marker), showTitle: media.title,
            season: marker?.season, episode: marker?.episode, year: media.year, posterURL: nil, url: url,
            watchedAt: watchedAt
        )
        return UnresolvedItem(item: item, tmdb: media.ids.tmdb.map { PosterReference(kind: .tv, tmdbID: $0) }, fallbackPosterURL: fallback)
    }

    /// `"<Show> S1E5"` (unpadded, as Trakt's fallback), `"<Show> E148"` without a season, or the show
    /// alone when Simkl gave no marker. Simkl has no episode titles.
    static func episodeTitle(show: String?, marker: SimklEpisodeMarker?) -> String? {
        guard let marker, let episode = marker.episode else { return show }
        let code = (marker.season.map { "S\($0)" } ?? "") + "E\(episode)"
        guard let show = show.flatMap(nonEmpty) else { return code }
        return "\(show) \(code)"
    }

    /// `https://simkl.com/{movies|tv|anime}/{id}/{slug}`: Simkl routes on the id; the slug is cosmetic.
    static func pageURL(bucket: SimklLibrary.Bucket, ids: SimklIDs) -> String? {
        guard let id = ids.simkl else { return nil }
        let segment = switch bucket {
        case .movies: "movies"
        case .shows: "tv"
        case .anime: "anime"
        }
        let base = "https://simkl.com/\(segment)/\(id)"
        return ids.slug.flatMap(nonEmpty).map { "\(base)/\($0)" } ?? base
    }

    private static func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }
}
