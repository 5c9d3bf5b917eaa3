/// Encodes the `GET /api/watch/history` success body:
/// `{"ok":true,"data":[item,…],"provider":"trakt","cached_at":"…"[,"stale":true]}`, newest first.
public enum HistoryBody {
    public static let limits = 1...WatchSnapshot.maximumRecent
    public static let defaultLimit = 5

    public static func encode(items: some Collection<WatchedItem>, provider: ProviderKind, cachedAt: Double, stale: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", true)
        json.beginArray("data")
        for item in items {
            json.watchedItem(nil, item, link: .url)
        }
        json.endArray()
        json.string("provider", provider.rawValue)
        json.string("cached_at", Timestamp.format(cachedAt))
        if stale { json.bool("stale", true) }
        json.endObject()
        return json.bytes
    }
}
