import Foundation
import Testing
import TraktWidgetCore
@testable import RefreshEngine
import FileStore
import PosterLookup
import SimklProvider
import TestSupport
import UpstreamClients

/// Simkl suspends clients that read `/sync/all-items` on a timer. Over a simulated hour of refreshes
/// (the engine on a test clock, the real provider against the fake), the library is read once, then
/// only when `/sync/activities` moved.
@Suite(.serialized) struct SimklPolitenessTests {
    static let shared = SharedFake()
    static let ttl = 300.0

    static func engine(_ fake: FakeUpstream, _ directory: TemporaryDirectory, _ clock: LastWatchedEngineTests.TestClock) throws -> LastWatchedEngine {
        let http = try fake.client()
        let store = try FileTokenStore(directory: directory.path)
        let tokens = SimklTokenSource(store: store, clock: clock.clock)
        try tokens.bootstrap(environmentToken: "test-simkl-token-XYZ")
        let posters = PosterResolver(http: http, tmdb: TMDBAPI(settings: fake.tmdbSettings()), images: ImageSettings(), clock: clock.clock)
        let api = SimklAPI(settings: SimklSettings(apiURL: fake.baseURL, clientID: "test-simkl-client-id", appVersion: "test"))
        return LastWatchedEngine(
            policy: CachePolicy(ttl: ttl), provider: SimklWatchProvider(http: http, api: api, tokens: tokens, posters: posters),
            posters: posters, store: store, auth: .simkl(tokens), clock: clock.clock, coldWait: 5
        )
    }

    static func count(_ fake: FakeUpstream, _ path: String) throws -> Int {
        try fake.requests(path: path).count
    }

    @Test func anHourOfRefreshesReadsTheLibraryOnceAndEachNewWatchOnce() throws {
        let fake = try Self.shared.fresh()
        let clock = LastWatchedEngineTests.TestClock()
        let directory = TemporaryDirectory()
        let engine = try Self.engine(fake, directory, clock)

        #expect(engine.refreshInline() == nil)
        #expect(try Self.count(fake, "/sync/all-items/") == 1)
        // Twelve refreshes, one per TTL: an hour with nothing new.
        for _ in 0..<12 {
            clock.advance(Self.ttl)
            #expect(engine.refreshInline() == nil)
        }
        #expect(try Self.count(fake, "/sync/activities") == 13)
        #expect(try Self.count(fake, "/sync/all-items/") == 1)

        // One new watch: exactly one more read, a delta from the last activity seen.
        let fixture = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Fixtures/simkl-sync-all-items.json")
        var library = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as! [String: Any]
        var movies = library["movies"] as! [[String: Any]]
        movies.append([
            "last_watched_at": "2026-08-02T10:00:00Z", "status": "completed",
            "movie": ["title": "Heat", "year": 1995, "ids": ["simkl": 99, "slug": "heat", "tmdb": 949]],
        ])
        library["movies"] = movies
        try fake.setScenario(["simkl_library": library])
        for _ in 0..<3 {
            clock.advance(Self.ttl)
            #expect(engine.refreshInline() == nil)
        }
        let reads = try fake.requests(path: "/sync/all-items/")
        #expect(reads.count == 2)
        #expect(reads.last?.query.contains("date_from=2016-10-29T09%3A03%3A45Z") == true)
        #expect(reads.allSatisfy { $0.status == 200 })
        guard case .result(let served, _) = engine.lastWatched() else { Issue.record("nothing served"); return }
        #expect(served.item?.title == "Heat")
        // The delta merged into what was held: the earlier items are still there, newest first.
        #expect(served.snapshot.recent.map(\.title).prefix(2) == ["Heat", "Hunter x Hunter E148"])

        // A restart on the same store re-reads nothing: the activities and the items were persisted.
        let restarted = try Self.engine(fake, directory, clock)
        clock.advance(Self.ttl)
        #expect(restarted.refreshInline() == nil)
        #expect(try Self.count(fake, "/sync/all-items/") == 2)
    }
}
