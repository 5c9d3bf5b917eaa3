/// Encodes the `GET /api/trakt/last` success body:
/// `{"ok":true,"data":{…}|null,"watching":{…}|null,"cached_at":"…"[,"stale":true]}`.
///
/// `data` keys are exactly the original server's, in its order; new fields go at the top level only.
public enum LastWatchedBody {
    public static func encode(item: WatchedItem?, watching: WatchingNow? = nil, cachedAt: Double, stale: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", true)
        if let item {
            json.watchedItem("data", item, link: .traktURL)
        } else {
            json.null("data")
        }
        json.watching("watching", watching, link: .traktURL)
        json.string("cached_at", Timestamp.format(cachedAt))
        if stale { json.bool("stale", true) }
        json.endObject()
        return json.bytes
    }

}
