import Testing
import TraktWidgetCore

@Suite struct CachedResultTests {
    static let item = WatchedItem(
        kind: .movie, title: "Heat", year: 1995, posterURL: nil, url: "https://trakt.tv/movies/heat-1995",
        watchedAt: "2025-01-01T00:00:00.000Z"
    )

    static func result(stale: Bool = false) -> CachedResult {
        CachedResult(
            provider: .trakt, snapshot: WatchSnapshot(last: item), fetchedAt: 1_700_000_000, verifiedAt: 1_700_000_100, stale: stale,
            posterRetry: PosterReference(kind: .movie, tmdbID: 949), mark: ChangeMark(["movies": "2025-01-01T00:00:00.000Z"])
        )
    }

    @Test func bodyAndTagArePrecomputed() {
        let result = Self.result()
        #expect(result.body == LastWatchedBody.encode(item: Self.item, cachedAt: 1_700_000_000, stale: false))
        #expect(result.etag == EntityTag.of(result.body))
    }

    @Test func staleCopyChangesBodyAndTag() {
        let result = Self.result()
        let stale = result.with(stale: true)
        #expect(stale.stale)
        #expect(stale.body == LastWatchedBody.encode(item: Self.item, cachedAt: 1_700_000_000, stale: true))
        #expect(stale.etag != result.etag)
        #expect(stale.verifiedAt == result.verifiedAt)
        #expect(stale.item == result.item)
        #expect(result.with(stale: false) === result)
    }

    @Test func reverifiedKeepsTheBodySoTheTagStaysStable() {
        let stale = Self.result(stale: true)
        let again = stale.reverified(at: 1_700_000_500, mark: ChangeMark(["episodes": "x"]))
        #expect(!again.stale)
        #expect(again.verifiedAt == 1_700_000_500)
        #expect(again.fetchedAt == 1_700_000_000)
        #expect(again.mark == ChangeMark(["episodes": "x"]))
        #expect(again.etag == Self.result().etag)
        #expect(again.posterRetry == stale.posterRetry)
    }
}
