import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct TraktWatchingTests {
    static let images = ImageSettings(baseURL: "https://image.tmdb.org/t/p", posterSize: "w500")

    @Test func movieCheckinFromTheRecordedBody() throws {
        let watching = try Fixture.decode(TraktWatching.self, "trakt-watching-movie.json")
        #expect(watching.action == .checkin)
        #expect(watching.startedAt == "2014-10-23T06:44:02.000Z" && watching.expiresAt == "2014-10-23T08:36:02.000Z")
        let now = try #require(watching.watchingNow(posterPath: "/s8.jpg", images: Self.images))
        #expect(now.item.kind == .movie && now.item.title == "Super 8" && now.item.year == 2011)
        #expect(now.item.posterURL == "https://image.tmdb.org/t/p/w500/s8.jpg")
        #expect(now.item.url == "https://trakt.tv/movies/super-8-2011")
        #expect(WatchedItemFormatter.posterReference(for: watching.media) == PosterReference(kind: .movie, tmdbID: 37686))
    }

    @Test func episodeScrobbleUsesTheShowForThePoster() throws {
        let watching = try Fixture.decode(TraktWatching.self, "trakt-watching-episode.json")
        #expect(watching.action == .scrobble)
        let now = try #require(watching.watchingNow(posterPath: nil, images: Self.images))
        #expect(now.item.kind == .episode && now.item.showTitle == "Breaking Bad")
        #expect(now.item.season == 0 && now.item.episode == 2 && now.item.title == "Wedding Day")
        #expect(WatchedItemFormatter.posterReference(for: watching.media) == PosterReference(kind: .tv, tmdbID: 1396))
    }

    @Test func nothingRecognisableIsNotWatching() throws {
        let watching = try Fixture.decode(TraktWatching.self, json: #"{"started_at":"a","expires_at":"b","action":"checkin","type":"person"}"#)
        #expect(watching.watchingNow(posterPath: nil, images: Self.images) == nil)
        #expect(throws: (any Error).self) { try Fixture.decode(TraktWatching.self, json: #"{"action":"checkin"}"#) }
    }
}
