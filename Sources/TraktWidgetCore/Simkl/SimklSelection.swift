/// Chooses the recent items from a Simkl library read, newest `last_watched_at` first across shows,
/// anime and movies, and merges a delta read into what is already held.
public enum SimklSelection {
    /// Entries that count as watches, newest first. A `plantowatch` entry is skipped even with a
    /// `last_watched_at` (Simkl's own example has one): nothing of it was watched. Entries whose time
    /// does not parse sort last rather than hide good ones.
    public static func newest(in library: SimklLibrary, limit: Int = WatchSnapshot.maximumRecent) -> [UnresolvedItem] {
        var candidates: [(time: Double, item: UnresolvedItem)] = []
        for bucket in SimklLibrary.Bucket.allCases {
            for entry in library.entries(in: bucket) where entry.status != "plantowatch" {
                guard let item = SimklItemFormatter.format(entry, bucket: bucket) else { continue }
                candidates.append((Timestamp.parse(item.item.watchedAt) ?? -.infinity, item))
            }
        }
        return candidates.sorted { $0.time > $1.time }.prefix(limit).map(\.item)
    }

    /// A delta read (`date_from`) returns only the entries that moved. They replace the held items of
    /// the same page, and the newest `limit` of both are kept.
    public static func merge(delta: [WatchedItem], into held: [WatchedItem], limit: Int = WatchSnapshot.maximumRecent) -> [WatchedItem] {
        let moved = Set(delta.compactMap(\.url))
        let kept = held.filter { item in item.url.map { !moved.contains($0) } ?? true }
        return (delta + kept)
            .map { (Timestamp.parse($0.watchedAt) ?? -.infinity, $0) }
            .sorted { $0.0 > $1.0 }
            .prefix(limit)
            .map(\.1)
    }
}
