import TraktWidgetCore
internal import XMLReading

/// Reads a Letterboxd RSS feed into its items with a real XML parser. Elements are matched by
/// namespace URI and local name, never by prefix, so a feed that renames `letterboxd:` still reads.
public enum LetterboxdFeedParser {
    public static let letterboxdNamespace = "https://letterboxd.com"
    public static let tmdbNamespace = "https://themoviedb.org"

    private static let item = XMLName("", "item")
    /// The entry field an item child fills, or nil for children we do not read.
    private static func field(_ name: XMLName) -> WritableKeyPath<LetterboxdEntry, String?>? {
        switch (name.namespace, name.local) {
        case ("", "guid"): \.guid
        case ("", "link"): \.link
        case ("", "pubDate"): \.pubDate
        case (letterboxdNamespace, "watchedDate"): \.watchedDate
        case (letterboxdNamespace, "rewatch"): \.rewatch
        case (letterboxdNamespace, "filmTitle"): \.filmTitle
        case (letterboxdNamespace, "filmYear"): \.filmYear
        case (letterboxdNamespace, "memberRating"): \.memberRating
        case (tmdbNamespace, "movieId"): \.tmdbMovieID
        default: nil
        }
    }

    /// Every `<item>` of `<rss><channel>`, in feed order. Not well-formed XML, or a document that is
    /// not RSS (Cloudflare's HTML challenge answered with 200), throws.
    public static func parse(_ document: [UInt8]) throws(LetterboxdFeedError) -> [LetterboxdEntry] {
        do {
            let reader = try XMLReader(document)
            var entries: [LetterboxdEntry] = []
            var sawRSS = false
            var current: LetterboxdEntry?
            var itemDepth = 0
            var open: (path: WritableKeyPath<LetterboxdEntry, String?>, text: String)?
            while let node = try reader.next() {
                switch node {
                case .start(let name, let depth, _) where depth == 0:
                    guard name == XMLName("", "rss") else { throw LetterboxdFeedError.notRSS }
                    sawRSS = true
                case .start(let name, let depth, let isEmpty) where name == item && current == nil:
                    current = LetterboxdEntry()
                    itemDepth = depth
                    if isEmpty { finish(&current, into: &entries) }
                case .start(let name, let depth, let isEmpty) where current != nil && depth == itemDepth + 1:
                    guard let path = Self.field(name) else { continue }
                    if isEmpty { current![keyPath: path] = "" } else { open = (path, "") }
                case .text(let text):
                    open?.text += text
                case .end(let name, let depth) where current != nil && depth == itemDepth + 1:
                    if let field = open, Self.field(name) == field.path {
                        current![keyPath: field.path] = trimmed(field.text)
                        open = nil
                    }
                case .end(let name, let depth) where name == item && depth == itemDepth:
                    finish(&current, into: &entries)
                default:
                    continue
                }
            }
            guard sawRSS else { throw LetterboxdFeedError.notRSS }
            return entries
        } catch let error as LetterboxdFeedError {
            throw error
        } catch {
            throw .notWellFormed
        }
    }

    private static func finish(_ current: inout LetterboxdEntry?, into entries: inout [LetterboxdEntry]) {
        if let entry = current { entries.append(entry) }
        current = nil
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
