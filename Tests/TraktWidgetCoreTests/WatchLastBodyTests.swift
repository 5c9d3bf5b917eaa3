import Testing
import TraktWidgetCore

struct WatchLastBodyTests {
    static let cachedAt = Timestamp.parse("2026-08-02T10:00:00.000Z")!

    private func text(_ item: WatchedItem?, _ provider: ProviderKind, stale: Bool = false) -> String {
        String(decoding: WatchLastBody.encode(item: item, provider: provider, cachedAt: Self.cachedAt, stale: stale), as: UTF8.self)
    }

    @Test func anAnimeEpisodeWithNoSeasonKeepsEveryKeyInOrder() {
        let item = WatchedItem(
            kind: .episode, title: "Hunter x Hunter E148", showTitle: "Hunter x Hunter", season: nil, episode: 148,
            year: 2011, posterURL: nil, url: "https://simkl.com/anime/40398", watchedAt: "2014-11-06T22:05:52Z"
        )
        #expect(text(item, .simkl) == """
        {"ok":true,"data":{"type":"episode","title":"Hunter x Hunter E148","show_title":"Hunter x Hunter",\
        "season":null,"episode":148,"year":2011,"poster_url":null,"url":"https://simkl.com/anime/40398",\
        "watched_at":"2014-11-06T22:05:52Z"},"watching":null,"provider":"simkl","rating":null,"rewatch":null,\
        "cached_at":"2026-08-02T10:00:00.000Z"}
        """)
    }

    @Test func aLetterboxdMovieHasNoEpisodeKeysAndCarriesRatingAndRewatch() {
        let item = WatchedItem(
            kind: .movie, title: "Toy Story 4", year: 2019, posterURL: "https://image.tmdb.org/t/p/w500/x.jpg",
            url: "https://letterboxd.com/dave/film/toy-story-4/1/", watchedAt: "2026-06-25", precision: .day,
            rating: 3.5, rewatch: true
        )
        #expect(text(item, .letterboxd, stale: true) == """
        {"ok":true,"data":{"type":"movie","title":"Toy Story 4","year":2019,\
        "poster_url":"https://image.tmdb.org/t/p/w500/x.jpg","url":"https://letterboxd.com/dave/film/toy-story-4/1/",\
        "watched_at":"2026-06-25"},"watching":null,"provider":"letterboxd","rating":3.5,"rewatch":true,\
        "cached_at":"2026-08-02T10:00:00.000Z","stale":true}
        """)
    }

    @Test func anEmptyLibraryIsNullData() {
        #expect(text(nil, .letterboxd) == #"{"ok":true,"data":null,"watching":null,"provider":"letterboxd","rating":null,"rewatch":null,"cached_at":"2026-08-02T10:00:00.000Z"}"#)
    }

    @Test func aWholeRatingIsWrittenWithoutAFraction() {
        var json = JSONWriter()
        json.beginObject()
        json.number("a", 4.0)
        json.number("b", 0.5)
        json.number("c", .nan)
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":4,"b":0.5,"c":null}"#)
    }

    @Test func dayPrecisionSaysWatchedOnTheDate() {
        let item = WatchedItem(kind: .movie, title: "X", year: nil, posterURL: nil, url: nil, watchedAt: "2026-08-02", precision: .day)
        #expect(WatchedAtLabel.describe(item, now: Self.cachedAt + 3 * 3600) == "watched on 2 Aug")
        var bad = item
        bad.watchedAt = "2026-02-30"
        #expect(WatchedAtLabel.describe(bad, now: Self.cachedAt) == nil)
    }

    @Test func instantsSayHowLongAgo() {
        let item = WatchedItem(kind: .movie, title: "X", year: nil, posterURL: nil, url: nil, watchedAt: "2026-08-02T07:00:00Z")
        #expect(WatchedAtLabel.describe(item, now: Self.cachedAt) == "watched 3 hours ago")
        #expect(WatchedAtLabel.describe(item, now: Self.cachedAt - 10_799) == "watched just now")
    }
}
