/// Encodes the `GET /api/trakt/last` success body:
/// `{"ok":true,"data":{…}|null,"cached_at":"…"[,"stale":true]}`.
///
/// `data` keys are exactly the original server's, in its order; new fields go at the top level only.
public enum LastWatchedBody {
    public static func encode(item: WatchedItem?, cachedAt: Double, stale: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", true)
        writeData(item, urlKey: "trakt_url", to: &json)
        json.string("cached_at", Timestamp.format(cachedAt))
        if stale { json.bool("stale", true) }
        json.endObject()
        return json.bytes
    }

    /// The `data` member: the original keys in their order, movies without the episode keys. Only the
    /// name of the page link differs between the routes (`trakt_url` here, `url` on `/api/watch/last`).
    static func writeData(_ item: WatchedItem?, urlKey: String, to json: inout JSONWriter) {
        guard let item else { return json.null("data") }
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
        json.string(urlKey, item.url)
        json.string("watched_at", item.watchedAt)
        json.endObject()
    }
}
