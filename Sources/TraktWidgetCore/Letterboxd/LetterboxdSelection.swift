/// Chooses recent watches from a Letterboxd feed. The feed is ordered by log time, not watch time,
/// so it is sorted here: newest `watchedDate` first, ties broken by the newer `pubDate`.
public enum LetterboxdSelection {
    public static func newest(_ entries: [LetterboxdEntry], limit: Int = WatchSnapshot.maximumRecent) -> [UnresolvedItem] {
        let films = entries.compactMap { entry -> (day: String, published: Double, item: UnresolvedItem)? in
            guard !entry.isListItem, let item = format(entry), let day = entry.watchedDate else { return nil }
            return (day, entry.pubDate.flatMap(RFC822Date.parse) ?? -.infinity, item)
        }
        // `YYYY-MM-DD` (validated in `format`) orders correctly as text.
        return films.sorted { ($0.day, $0.published) > ($1.day, $1.published) }.prefix(limit).map(\.item)
    }

    /// A diary entry as a movie with day precision. Entries without a film title or a valid watch date
    /// are not watches (list items, or a format we do not know).
    public static func format(_ entry: LetterboxdEntry) -> UnresolvedItem? {
        guard let title = entry.filmTitle.map(HTMLEntities.decode), !title.isEmpty,
              let day = entry.watchedDate, isCalendarDate(day)
        else { return nil }
        let item = WatchedItem(
            kind: .movie, title: title, year: entry.filmYear.flatMap { Int($0) }, posterURL: nil,
            url: entry.link, watchedAt: day, precision: .day,
            rating: entry.memberRating.flatMap { Double($0) }.flatMap { (0.5...5.0).contains($0) ? $0 : nil },
            rewatch: entry.rewatch.map { $0 == "Yes" }
        )
        let tmdb = entry.tmdbMovieID.flatMap { Int($0) }.map { PosterReference(kind: .movie, tmdbID: $0) }
        return UnresolvedItem(item: item, tmdb: tmdb)
    }

    static func isCalendarDate(_ text: String) -> Bool {
        Timestamp.parse(text + "T00:00:00Z") != nil && text.utf8.count == 10
    }
}
