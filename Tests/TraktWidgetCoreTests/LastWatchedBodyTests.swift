import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct LastWatchedBodyTests {
    static let cachedAt = 1_761_654_896.789  // 2025-10-28T12:34:56.789Z

    static let movie = WatchedItem(
        kind: .movie, title: "The Dark Knight", year: 2008,
        posterURL: "https://image.tmdb.org/t/p/w500/qJ2tW6WMUDux911r6m7haRef0WH.jpg",
        url: "https://trakt.tv/movies/the-dark-knight-2008",
        watchedAt: "2014-03-31T09:28:53.000Z"
    )

    static let episode = WatchedItem(
        kind: .episode, title: "Pawnee Zoo", showTitle: "Parks and Recreation", season: 2, episode: 1, year: 2009,
        posterURL: nil,
        url: "https://trakt.tv/shows/parks-and-recreation/seasons/2/episodes/1",
        watchedAt: "2014-03-31T09:28:53.000Z"
    )

    static func text(_ item: WatchedItem?, stale: Bool = false) -> String {
        String(decoding: LastWatchedBody.encode(item: item, cachedAt: cachedAt, stale: stale), as: UTF8.self)
    }

    @Test func movieExactBytes() {
        #expect(Self.text(Self.movie) == """
        {"ok":true,"data":{"type":"movie","title":"The Dark Knight","year":2008,\
        "poster_url":"https://image.tmdb.org/t/p/w500/qJ2tW6WMUDux911r6m7haRef0WH.jpg",\
        "trakt_url":"https://trakt.tv/movies/the-dark-knight-2008","watched_at":"2014-03-31T09:28:53.000Z"},\
        "watching":null,"cached_at":"2025-10-28T12:34:56.789Z"}
        """)
    }

    @Test func episodeExactBytes() {
        #expect(Self.text(Self.episode) == """
        {"ok":true,"data":{"type":"episode","title":"Pawnee Zoo","show_title":"Parks and Recreation",\
        "season":2,"episode":1,"year":2009,"poster_url":null,\
        "trakt_url":"https://trakt.tv/shows/parks-and-recreation/seasons/2/episodes/1",\
        "watched_at":"2014-03-31T09:28:53.000Z"},"watching":null,"cached_at":"2025-10-28T12:34:56.789Z"}
        """)
    }

    @Test func movieNeverCarriesEpisodeKeys() {
        var movie = Self.movie
        movie.showTitle = "Should not appear"
        movie.season = 1
        movie.episode = 2
        #expect(Self.text(movie) == Self.text(Self.movie))
    }

    @Test func nullFieldsAreWrittenAsNull() {
        let item = WatchedItem(
            kind: .episode, title: nil, showTitle: nil, season: nil, episode: nil, year: nil,
            posterURL: nil, url: nil, watchedAt: "2014-03-31T09:28:53.000Z"
        )
        #expect(Self.text(item) == """
        {"ok":true,"data":{"type":"episode","title":null,"show_title":null,"season":null,"episode":null,\
        "year":null,"poster_url":null,"trakt_url":null,"watched_at":"2014-03-31T09:28:53.000Z"},\
        "watching":null,"cached_at":"2025-10-28T12:34:56.789Z"}
        """)
    }

    @Test func dataNull() {
        #expect(Self.text(nil) == #"{"ok":true,"data":null,"watching":null,"cached_at":"2025-10-28T12:34:56.789Z"}"#)
    }

    @Test func staleIsAddedOnlyWhenStale() {
        #expect(Self.text(nil, stale: true) == #"{"ok":true,"data":null,"watching":null,"cached_at":"2025-10-28T12:34:56.789Z","stale":true}"#)
        #expect(Self.text(Self.movie, stale: true).hasSuffix(#","watching":null,"cached_at":"2025-10-28T12:34:56.789Z","stale":true}"#))
        #expect(!Self.text(Self.movie, stale: false).contains("stale"))
    }

    @Test func cachedAtFormat() {
        let body = String(decoding: LastWatchedBody.encode(item: nil, cachedAt: 0, stale: false), as: UTF8.self)
        #expect(body == #"{"ok":true,"data":null,"watching":null,"cached_at":"1970-01-01T00:00:00.000Z"}"#)
    }

    @Test(arguments: ["千と千尋の神隠し", "Amélie", "Ame\u{301}lie"])
    func utf8TitlesPassThroughByteIdentical(_ title: String) {
        var item = Self.movie
        item.title = title
        let body = LastWatchedBody.encode(item: item, cachedAt: Self.cachedAt, stale: false)
        let expected = Array(#"{"ok":true,"data":{"type":"movie","title":""#.utf8) + Array(title.utf8) + Array(#"","year":2008,"#.utf8)
        #expect(Array(body.prefix(expected.count)) == expected)
    }

    @Test func escapingInTitles() throws {
        var item = Self.episode
        item.title = "<script>alert(\"x\")</script> & \\ \n\u{1}"
        item.showTitle = "Tom & Jerry's <Show>"
        let body = LastWatchedBody.encode(item: item, cachedAt: Self.cachedAt, stale: false)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""title":"\u003cscript\u003ealert(\"x\")\u003c/script\u003e \u0026 \\ \n\u0001""#))
        #expect(text.contains(#""show_title":"Tom \u0026 Jerry's \u003cShow\u003e""#))
        #expect(!text.contains("<") && !text.contains(">") && !text.contains("&"))

        struct Envelope: Decodable { var ok: Bool; var data: WatchedItem?; var cached_at: String }
        let decoded = try JSONDecoder().decode(Envelope.self, from: Data(body))
        #expect(decoded.data == item)
        #expect(decoded.ok)
        #expect(decoded.cached_at == "2025-10-28T12:34:56.789Z")
    }

    @Test func watchingMovieIsTheDataShapePlusItsWindow() {
        let watching = WatchingNow(
            item: WatchedItem(kind: .movie, title: "Super 8", year: 2011, posterURL: nil,
                              url: "https://trakt.tv/movies/super-8-2011", watchedAt: "2014-10-23T06:44:02.000Z"),
            startedAt: "2014-10-23T06:44:02.000Z", expiresAt: "2014-10-23T08:36:02.000Z", action: .checkin
        )
        let body = String(decoding: LastWatchedBody.encode(item: Self.movie, watching: watching, cachedAt: Self.cachedAt, stale: false), as: UTF8.self)
        #expect(body.contains("""
        "watching":{"type":"movie","title":"Super 8","year":2011,"poster_url":null,\
        "trakt_url":"https://trakt.tv/movies/super-8-2011","started_at":"2014-10-23T06:44:02.000Z",\
        "expires_at":"2014-10-23T08:36:02.000Z","action":"checkin"},"cached_at"
        """))
    }

    @Test func watchingEpisodeKeepsEpisodeKeys() {
        let watching = WatchingNow(item: Self.episode, startedAt: "a", expiresAt: "b", action: .scrobble)
        let body = String(decoding: LastWatchedBody.encode(item: nil, watching: watching, cachedAt: Self.cachedAt, stale: false), as: UTF8.self)
        #expect(body.contains(#""watching":{"type":"episode","title":"Pawnee Zoo","show_title":"Parks and Recreation","season":2,"episode":1,"#))
        #expect(body.contains(#""started_at":"a","expires_at":"b","action":"scrobble"}"#))
    }
}
