/// The `data` shape of an item, shared by every body that carries items (last, watching, history).
extension JSONWriter {
    /// Where the item's provider page goes: `trakt_url` on the original Trakt route, `url` elsewhere.
    public enum LinkKey: String, Sendable {
        case traktURL = "trakt_url"
        case url
    }

    /// `{"type":…,"title":…,["show_title","season","episode",]"year","poster_url",<link>,"watched_at"}`,
    /// in the original server's key order.
    public mutating func watchedItem(_ key: String?, _ item: WatchedItem, link: LinkKey) {
        beginObject(key)
        itemFields(item, link: link)
        string("watched_at", item.watchedAt)
        endObject()
    }

    /// An item being played: the `data` shape without `watched_at`, plus `started_at`, `expires_at` and
    /// `action`. Progress is left to clients, so the body stays the same while the item plays.
    public mutating func watching(_ key: String?, _ watching: WatchingNow?, link: LinkKey) {
        guard let watching else { return null(key) }
        beginObject(key)
        itemFields(watching.item, link: link)
        string("started_at", watching.startedAt)
        string("expires_at", watching.expiresAt)
        string("action", watching.action.rawValue)
        endObject()
    }

    private mutating func itemFields(_ item: WatchedItem, link: LinkKey) {
        string("type", item.kind.rawValue)
        string("title", item.title)
        if item.kind == .episode {
            string("show_title", item.showTitle)
            int("season", item.season)
            int("episode", item.episode)
        }
        int("year", item.year)
        string("poster_url", item.posterURL)
        string(link.rawValue, item.url)
    }
}
