/// Which poster bytes a card needs, at which TMDB size, and where they come from.
///
/// The large single-item card shows a 64×96 poster and gets `w154`; list rows show 40×60 and get `w92`.
/// Both are about 2.4× the shown size, sharp on high-density screens, and keep a five-row card under
/// its 48 KB budget.
public struct CardPosters: Sendable {
    public static let largeSize = "w154"
    public static let smallSize = "w92"

    public let images: ImageSettings

    public init(images: ImageSettings) {
        self.images = images
    }

    /// The URL of `item`'s poster at the size its row uses, if it came from the image base.
    public func url(for item: WatchedItem, large: Bool) -> String? {
        images.resized(item.posterURL, to: large ? Self.largeSize : Self.smallSize)
    }

    /// Every poster any card variant of `snapshot` can show, in the order the rows appear: the fetch
    /// list for a refresh.
    public func urls(for snapshot: WatchSnapshot) -> [String] {
        let items = Self.rowItems(snapshot).prefix(CardOptions.limits.upperBound)
        var urls = items.prefix(1).compactMap { url(for: $0, large: true) }
        urls += items.compactMap { url(for: $0, large: false) }
        return urls
    }

    /// The items the rows show, watching first.
    static func rowItems(_ snapshot: WatchSnapshot) -> [WatchedItem] {
        (snapshot.watching.map { [$0.item] } ?? []) + snapshot.recent
    }
}
