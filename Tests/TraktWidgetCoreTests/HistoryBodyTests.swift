import Testing
import TraktWidgetCore

@Suite struct HistoryBodyTests {
    @Test func itemsInTheDataShapeNewestFirst() {
        let items = [
            WatchedItem(kind: .episode, title: "Pawnee Zoo", showTitle: "Parks and Recreation", season: 2, episode: 1,
                        year: 2009, posterURL: nil, url: "https://trakt.tv/shows/parks-and-recreation/seasons/2/episodes/1",
                        watchedAt: "2014-03-31T09:28:53.000Z"),
            WatchedItem(kind: .movie, title: "TRON: Legacy", year: 2010, posterURL: "https://img/w500/t.jpg",
                        url: "https://trakt.tv/movies/tron-legacy-2010", watchedAt: "2013-06-15T05:54:27.000Z"),
        ]
        let body = String(decoding: HistoryBody.encode(items: items, provider: .trakt, cachedAt: 0, stale: false), as: UTF8.self)
        #expect(body == """
        {"ok":true,"data":[{"type":"episode","title":"Pawnee Zoo","show_title":"Parks and Recreation","season":2,\
        "episode":1,"year":2009,"poster_url":null,"url":"https://trakt.tv/shows/parks-and-recreation/seasons/2/episodes/1",\
        "watched_at":"2014-03-31T09:28:53.000Z"},{"type":"movie","title":"TRON: Legacy","year":2010,\
        "poster_url":"https://img/w500/t.jpg","url":"https://trakt.tv/movies/tron-legacy-2010",\
        "watched_at":"2013-06-15T05:54:27.000Z"}],"provider":"trakt","cached_at":"1970-01-01T00:00:00.000Z"}
        """)
    }

    @Test func emptyAndStale() {
        let body = String(decoding: HistoryBody.encode(items: [], provider: .simkl, cachedAt: 0, stale: true), as: UTF8.self)
        #expect(body == #"{"ok":true,"data":[],"provider":"simkl","cached_at":"1970-01-01T00:00:00.000Z","stale":true}"#)
    }
}
