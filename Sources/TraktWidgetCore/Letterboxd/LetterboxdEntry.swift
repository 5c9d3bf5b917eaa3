/// One `<item>` of a Letterboxd RSS feed, as the XML reader found it: text already entity-decoded by
/// the parser, every field optional.
public struct LetterboxdEntry: Equatable, Sendable {
    public var guid: String?
    public var link: String?
    public var pubDate: String?
    public var watchedDate: String?
    public var rewatch: String?
    public var filmTitle: String?
    public var filmYear: String?
    public var memberRating: String?
    public var tmdbMovieID: String?

    public init(
        guid: String? = nil, link: String? = nil, pubDate: String? = nil, watchedDate: String? = nil,
        rewatch: String? = nil, filmTitle: String? = nil, filmYear: String? = nil, memberRating: String? = nil,
        tmdbMovieID: String? = nil
    ) {
        self.guid = guid
        self.link = link
        self.pubDate = pubDate
        self.watchedDate = watchedDate
        self.rewatch = rewatch
        self.filmTitle = filmTitle
        self.filmYear = filmYear
        self.memberRating = memberRating
        self.tmdbMovieID = tmdbMovieID
    }

    /// List updates (`letterboxd-list-…`) share the feed with diary entries and carry no film.
    public var isListItem: Bool {
        guid?.hasPrefix("letterboxd-list-") ?? false
    }
}
