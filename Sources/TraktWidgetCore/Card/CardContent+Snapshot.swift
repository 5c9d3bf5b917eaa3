extension CardContent {
    /// What a card of `limit` rows shows for `snapshot` at `now`: the item playing (until its
    /// `expires_at`), then the most recent ones, with the posters that were fetched.
    public init(snapshot: WatchSnapshot, limit: Int, posters: [String: PosterImage], sources: CardPosters, now: Double) {
        let large = limit == 1
        func poster(_ item: WatchedItem) -> PosterImage? {
            sources.url(for: item, large: large).flatMap { posters[$0] }
        }
        var rows: [CardRow] = []
        if let watching = snapshot.watching, (Timestamp.parse(watching.expiresAt) ?? 0) > now {
            rows.append(CardRow(watching: watching, now: now, poster: poster(watching.item)))
        }
        for item in snapshot.recent.prefix(limit - rows.count) {
            rows.append(CardRow(item: item, now: now, poster: poster(item)))
        }
        self = rows.isEmpty ? .empty : .rows(rows)
    }
}
