/// Encodes the `GET /api/watch/last` success body:
/// `{"ok":true,"data":{…}|null,"watching":{…}|null,"provider":"simkl","rating":…,"rewatch":…,"cached_at":"…"[,"stale":true]}`.
///
/// `data` has the Trakt contract's keys in its order, with `url` where Trakt's has `trakt_url`.
/// Letterboxd's `rating` and `rewatch` are top-level additions, null for other providers.
public enum WatchLastBody {
    public static func encode(item: WatchedItem?, watching: WatchingNow? = nil, provider: ProviderKind, cachedAt: Double, stale: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", true)
        if let item {
            json.watchedItem("data", item, link: .url)
        } else {
            json.null("data")
        }
        json.watching("watching", watching, link: .url)
        json.string("provider", provider.rawValue)
        json.number("rating", item?.rating)
        if let rewatch = item?.rewatch { json.bool("rewatch", rewatch) } else { json.null("rewatch") }
        json.string("cached_at", Timestamp.format(cachedAt))
        if stale { json.bool("stale", true) }
        json.endObject()
        return json.bytes
    }
}
