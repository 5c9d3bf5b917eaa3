/// Why a Letterboxd answer is not a feed we can read; both are a malformed upstream answer.
public enum LetterboxdFeedError: Error, Equatable, Sendable {
    case notWellFormed
    /// Well-formed, but not `<rss>` (an HTML page, an Atom feed).
    case notRSS
}
