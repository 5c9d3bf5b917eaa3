import FoundationEssentials
import Testing
@testable import TraktWidgetCore

struct SimklSelectionTests {
    private func library(_ json: String) throws -> SimklLibrary {
        try #require(SimklLibrary.parse(Array(json.utf8)))
    }

    @Test func theDocumentedLibraryGivesTheAnimeEpisodeWithNoSeason() throws {
        let library = try #require(SimklLibrary.parse(Array(try Fixture.data("simkl-sync-all-items.json"))))
        let recent = SimklSelection.newest(in: library)
        let last = try #require(recent.first)
        // "Ajin 2" has a newer last_watched_at but is plantowatch with no marker: not a watch.
        #expect(last.item.kind == .episode)
        #expect(last.item.title == "Hunter x Hunter E148")
        #expect(last.item.showTitle == "Hunter x Hunter")
        #expect(last.item.season == nil)
        #expect(last.item.episode == 148)
        #expect(last.item.url == "https://simkl.com/anime/40398")
        #expect(last.tmdb == nil)
        #expect(last.fallbackPosterURL == "https://simkl.in/posters/83/83975f751784587_m.webp")
        #expect(recent.map(\.item.title) == ["Hunter x Hunter E148", "Maleficent", "Captain America: The First Avenger"])
        // The movie's tmdb id arrives as the string "102651".
        #expect(recent[1].tmdb == PosterReference(kind: .movie, tmdbID: 102651))
    }

    @Test func newestWinsAcrossShowsAnimeAndMovies() throws {
        let lib = try library("""
        {"shows":[{"last_watched_at":"2026-08-01T20:00:00Z","last_watched":"S01E05","status":"watching",
          "show":{"title":"Severance","year":2022,"ids":{"simkl":1,"slug":"severance","tmdb":95396}}}],
         "movies":[{"last_watched_at":"2026-07-31T20:00:00Z","status":"completed",
          "movie":{"title":"Heat","year":1995,"ids":{"simkl":2,"slug":"heat","tmdb":"949"}}}]}
        """)
        let last = try #require(SimklSelection.newest(in: lib).first)
        #expect(last.item.title == "Severance S1E5")
        #expect(last.item.season == 1 && last.item.episode == 5)
        #expect(last.item.url == "https://simkl.com/tv/1/severance")
        #expect(last.tmdb == PosterReference(kind: .tv, tmdbID: 95396))
    }

    @Test func anAnimeMovieIsAMovie() throws {
        let lib = try library("""
        {"anime":[{"last_watched_at":"2026-08-02T10:00:00Z","status":"completed","anime_type":"movie","last_watched":null,
          "show":{"title":"Your Name.","year":2016,"poster":"12/abc","ids":{"simkl":7,"slug":"your-name","tmdb":372058}}}]}
        """)
        let last = try #require(SimklSelection.newest(in: lib).first)
        #expect(last.item.kind == .movie)
        #expect(last.item.showTitle == nil && last.item.season == nil && last.item.episode == nil)
        #expect(last.item.url == "https://simkl.com/anime/7/your-name")
        #expect(last.tmdb == PosterReference(kind: .movie, tmdbID: 372058))
    }

    @Test(arguments: ["", "   \n", "null", " null\n", "{}"])
    func anEmptyLibraryComesInThreeShapes(_ body: String) throws {
        let lib = try #require(SimklLibrary.parse(Array(body.utf8)))
        #expect(SimklSelection.newest(in: lib).isEmpty)
    }

    @Test(arguments: ["[]", "<html>", "{\"shows\":\"x\"}", "nul"])
    func somethingElseIsMalformed(_ body: String) {
        #expect(SimklLibrary.parse(Array(body.utf8)) == nil)
    }

    @Test func unicodeTitlesPassThrough() throws {
        let lib = try library(#"{"anime":[{"last_watched_at":"2026-08-02T10:00:00Z","last_watched":"E12","anime_type":"tv","show":{"title":"進撃の巨人 \"Shingeki\"","ids":{"simkl":9}}}]}"#)
        #expect(SimklSelection.newest(in: lib).first?.item.title == "進撃の巨人 \"Shingeki\" E12")
    }

    @Test func aDeltaReplacesTheSameItemAndKeepsTheNewest() {
        func item(_ title: String, _ url: String, _ at: String) -> WatchedItem {
            WatchedItem(kind: .episode, title: title, year: nil, posterURL: "p", url: url, watchedAt: at)
        }
        let held = [item("Show E2", "u1", "2026-08-01T00:00:00Z"), item("Film", "u2", "2026-07-01T00:00:00Z")]
        let merged = SimklSelection.merge(delta: [item("Show E3", "u1", "2026-08-02T00:00:00Z")], into: held)
        #expect(merged.map(\.title) == ["Show E3", "Film"])
    }

    @Test(arguments: [
        ("S01E05", SimklEpisodeMarker(season: 1, episode: 5)),
        ("s2e10", SimklEpisodeMarker(season: 2, episode: 10)),
        ("E148", SimklEpisodeMarker(season: nil, episode: 148)),
    ])
    func episodeMarkers(_ text: String, _ expected: SimklEpisodeMarker) {
        #expect(SimklEpisodeMarker.parse(text) == expected)
    }

    @Test(arguments: ["", "S01", "E", "X5", "S01E05x", "E1234567890"])
    func badMarkersGiveNoEpisode(_ text: String) {
        #expect(SimklEpisodeMarker.parse(text) == nil)
    }

    @Test func activitiesMoveOnlyWhenABucketMoves() throws {
        let activities = try #require(SimklActivities.parse(Array(try Fixture.data("simkl-sync-activities.json"))))
        #expect(activities.all == "2016-10-29T09:03:45Z")
        var later = activities.mark
        later.values["all"] = "2030-01-01T00:00:00Z"
        #expect(!SimklActivities.moved(from: activities.mark, to: later))
        later.values["anime"] = "2030-01-01T00:00:00Z"
        #expect(SimklActivities.moved(from: activities.mark, to: later))
    }
}

struct SimklPinTests {
    @Test func theDocumentedPinAnswer() throws {
        let pin = try #require(SimklPinCode.parse(Array(try Fixture.data("simkl-oauth-pin.json"))))
        #expect(pin == SimklPinCode(userCode: "5G6JAH", verificationURL: "https://simkl.com/pin", interval: 5, lifetime: 900))
    }

    @Test func oddTimingsAreBounded() throws {
        let pin = try #require(SimklPinCode.parse(Array(#"{"user_code":"AB","interval":0,"expires_in":1e12}"#.utf8)))
        #expect(pin.interval == 1 && pin.lifetime == 3600)
        #expect(pin.verificationURL == "https://simkl.com/pin")
    }

    @Test func pollAnswers() throws {
        #expect(SimklPinPoll.parse(Array(try Fixture.data("simkl-oauth-pin-poll-pending.json"))) == .pending)
        #expect(SimklPinPoll.parse(Array(#"{"result":"KO","message":"Slow down"}"#.utf8)) == .slowDown)
        #expect(SimklPinPoll.parse(Array(#"{"result":"OK","access_token":"abc"}"#.utf8)) == .authorized(accessToken: "abc"))
        // A code that is gone answers like GET /oauth/pin, result "OK" included.
        #expect(SimklPinPoll.parse(Array(try Fixture.data("simkl-oauth-pin.json"))) == .codeGone)
        #expect(SimklPinPoll.parse(Array("<html>".utf8)) == .malformed)
        #expect(SimklPinPoll.parse(Array(#"{"result":"OK"}"#.utf8)) == .malformed)
    }
}
