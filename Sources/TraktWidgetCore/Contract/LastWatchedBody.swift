/// Encodes the `GET /api/trakt/last` success body:
/// `{"ok":true,"data":{…}|null,"cached_at":"…"[,"stale":true]}`.
///
/// `data` keys are exactly the original server's, in its order; new fields go at the top level only.
public enum LastWatchedBody {
    public static func encode(item: WatchedItem?, cachedAt: Double, stale: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", true)
        if let item {
            json.beginObject("data")
            json.string("type", item.kind.rawValue)
            json.string("title", item.title)
            if item.kind == .episode {
                json.string("show_title", item.showTitle)
                json.int("season", item.season)
                json.int("episode", item.episode)
            }
            json.int("year", item.year)
            json.string("poster_url", item.posterURL)
            json.string("trakt_url", item.url)
            json.string("watched_at", item.watchedAt)
            json.endObject()
        } else {
            json.null("data")
        }
        json.string("cached_at", Timestamp.format(cachedAt))
        if stale { json.bool("stale", true) }
        json.endObject()
        return json.bytes
    }
}
