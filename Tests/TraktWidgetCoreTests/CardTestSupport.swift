import FoundationEssentials
import TraktWidgetCore

/// Items, rows and an XML well-formedness check shared by the card tests.
enum CardSample {
    static let now = Timestamp.parse("2026-11-30T18:00:00.000Z")!

    static let movie = WatchedItem(
        kind: .movie, title: "Super 8", year: 2011, posterURL: nil, url: nil,
        watchedAt: "2026-11-30T15:00:00.000Z"
    )

    static let episode = WatchedItem(
        kind: .episode, title: "Chikhai Bardo", showTitle: "Severance", season: 2, episode: 7, year: 2022,
        posterURL: nil, url: nil, watchedAt: "2026-11-30T15:00:00.000Z"
    )

    /// A 1×1 JPEG header is enough for sniffing; the renderer never decodes the pixels.
    static let jpeg = PosterImage(bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x41, count: 600))!

    static func movie(titled title: String) -> WatchedItem {
        var item = movie
        item.title = title
        return item
    }

    static func svg(_ rows: [CardRow], _ options: CardOptions = CardOptions()) -> String {
        String(decoding: CardRenderer.render(.rows(rows), options: options), as: UTF8.self)
    }

    static func row(_ item: WatchedItem, poster: PosterImage? = nil) -> CardRow {
        CardRow(item: item, now: now, poster: poster)
    }

    /// The `<text>` contents in document order, entities decoded.
    static func texts(_ svg: String) -> [String] {
        svg.split(separator: "<text ").dropFirst().map { chunk in
            let inner = chunk[chunk.firstIndex(of: ">")!...].dropFirst()
            return XMLCheck.unescape(String(inner[..<inner.firstRange(of: "</text>")!.lowerBound]))
        }
    }
}
