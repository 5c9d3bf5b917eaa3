import Foundation
import Testing
import TraktWidgetCore
@testable import RefreshEngine
import CurlClient
import FileStore
import PosterLookup
import SystemCalls
import TestSupport
import TokenStorage
import TraktProvider
import UpstreamClients

/// The engine and the Trakt provider in public mode against the fake, on a test clock. Refreshes run inline;
/// no test ever waits for the refresh thread.
@Suite(.serialized) struct LastWatchedEngineTests {
    static let shared = SharedFake()
    static let t0 = 1_761_654_896.0  // 2025-10-28T12:34:56Z

    final class TestClock: Sendable {
        let time = Locked(LastWatchedEngineTests.t0)
        var clock: WallClock { WallClock { [time] in time.value } }
        func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    }

    static func engine(_ fake: FakeUpstream, _ directory: TemporaryDirectory, _ clock: TestClock) throws -> LastWatchedEngine {
        let http = try fake.client()
        let posters = PosterResolver(http: http, tmdb: TMDBAPI(settings: fake.tmdbSettings()), images: ImageSettings(), clock: clock.clock)
        let provider = TraktWatchProvider(http: http, trakt: TraktAPI(settings: fake.traktSettings()), tokens: nil, posters: posters)
        return LastWatchedEngine(
            policy: CachePolicy(ttl: 300), provider: provider, posters: posters,
            store: try FileTokenStore(directory: directory.path), auth: .none, clock: clock.clock, coldWait: 5
        )
    }

    static func served(_ lookup: LastWatchedLookup) -> (result: CachedResult, maxAge: Int)? {
        if case .result(let result, let maxAge) = lookup { return (result, maxAge) }
        return nil
    }

    static func text(_ result: CachedResult?) -> String {
        String(decoding: result?.body ?? [], as: UTF8.self)
    }

    @Test func servesTheNewestItemWithItsPoster() throws {
        let fake = try Self.shared.fresh()
        let clock = TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)
        #expect(engine.refreshInline() == nil)

        let served = try #require(Self.served(engine.lastWatched()))
        #expect(served.maxAge == 300)
        // Movie and episode were watched at the same instant in the fixtures: the movie wins the tie.
        #expect(Self.text(served.result) == """
        {"ok":true,"data":{"type":"movie","title":"The Dark Knight","year":2008,\
        "poster_url":"https://image.tmdb.org/t/p/w500/fake-movie-155.jpg",\
        "trakt_url":"https://trakt.tv/movies/the-dark-knight-2008","watched_at":"2014-03-31T09:28:53.000Z"},\
        "watching":null,"cached_at":"2025-10-28T12:34:56.000Z"}
        """)

        let response = RequestHandler(source: engine, ttl: 300).respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.status == 200)
        #expect(response.body == served.result.body)

        let health = engine.health()
        #expect(health.canServe)
        #expect(health.mode == .public)
        #expect(health.tokenState == "not_used")
        #expect(health.lastSuccessAt == Self.t0)
    }

    @Test func anEpisodesPosterComesFromItsShow() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["episodes": [[
            "watched_at": "2025-02-28T21:14:03.000Z", "type": "episode",
            "episode": ["season": 2, "number": 7, "title": NSNull(), "ids": ["trakt": 1, "tmdb": 5_551_234]],
            "show": ["title": "Severance", "year": 2022, "ids": ["trakt": 2, "slug": "severance", "tmdb": 95396]],
        ]]])
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, TestClock())
        #expect(engine.refreshInline() == nil)
        let served = try #require(Self.served(engine.lastWatched()))
        #expect(Self.text(served.result).contains("""
        "data":{"type":"episode","title":"Severance S2E7","show_title":"Severance","season":2,"episode":7,\
        "year":2022,"poster_url":"https://image.tmdb.org/t/p/w500/fake-tv-95396.jpg",\
        "trakt_url":"https://trakt.tv/shows/severance/seasons/2/episodes/7","watched_at":"2025-02-28T21:14:03.000Z"}
        """))
        #expect(try fake.requests(path: "/3/tv/5551234").isEmpty)
    }

    @Test func coldFailureBacksOffAndFailsFast() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "status", "status": 500, "prefix": "/users"])
        let clock = TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)
        #expect(engine.refreshInline() == .unavailable(code: "TRAKT_HTTP_500"))

        guard case .failure(let error) = engine.lastWatched() else {
            Issue.record("expected a failure while nothing is cached")
            return
        }
        #expect(error == .upstreamUnavailable(retryAfter: 30))
        let health = engine.health()
        #expect(!health.canServe)
        #expect(health.lastErrorCode == "TRAKT_HTTP_500")

        // Still backing off: an inline refresh does not call Trakt.
        let before = try fake.requests().count
        clock.advance(10)
        #expect(engine.refreshInline() == nil)
        #expect(try fake.requests().count == before)
    }

    @Test func aFailedRefreshServesTheLastResultAsStaleAndItSurvivesARestart() throws {
        let fake = try Self.shared.fresh()
        let clock = TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)
        #expect(engine.refreshInline() == nil)
        let fresh = try #require(Self.served(engine.lastWatched())).result

        clock.advance(301)
        try fake.addFault(["kind": "status", "status": 502, "prefix": "/users"])
        #expect(engine.refreshInline() == .unavailable(code: "TRAKT_HTTP_502"))
        let stale = try #require(Self.served(engine.lastWatched()))
        #expect(stale.maxAge == 1)
        #expect(stale.result.stale)
        #expect(Self.text(stale.result).hasSuffix(#""cached_at":"2025-10-28T12:34:56.000Z","stale":true}"#))
        #expect(stale.result.item == fresh.item)

        // A new process on the same state directory serves it at once, without calling upstream.
        let requestsBefore = try fake.requests().count
        let restarted = try Self.engine(fake, directory, clock)
        let restored = try #require(Self.served(restarted.lastWatched()))
        #expect(restored.result.etag == stale.result.etag)
        #expect(try fake.requests().count == requestsBefore)
    }

    @Test func aTMDBFailureOnlyCostsThePosterAndIsRetried() throws {
        let fake = try Self.shared.fresh()
        // Without a count: libcurl silently retries a request whose reused connection was reset.
        try fake.addFault(["kind": "tmdb_down"])
        let clock = TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)
        #expect(engine.refreshInline() == nil)
        let first = try #require(Self.served(engine.lastWatched())).result
        #expect(first.item?.title == "The Dark Knight")
        #expect(first.item?.posterURL == nil)
        #expect(first.posterRetry == PosterReference(kind: .movie, tmdbID: 155))

        try fake.clearFaults()
        clock.advance(300)
        #expect(engine.refreshInline() == nil)
        let second = try #require(Self.served(engine.lastWatched())).result
        #expect(second.item?.posterURL == "https://image.tmdb.org/t/p/w500/fake-movie-155.jpg")
        #expect(second.posterRetry == nil)
    }

    @Test func anUnchangedRefreshKeepsTheETag() throws {
        let fake = try Self.shared.fresh()
        let clock = TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)
        #expect(engine.refreshInline() == nil)
        let first = try #require(Self.served(engine.lastWatched())).result
        clock.advance(600)
        #expect(engine.refreshInline() == nil)
        let second = try #require(Self.served(engine.lastWatched()))
        #expect(second.result.etag == first.etag)
        #expect(second.maxAge == 300)
    }
}
