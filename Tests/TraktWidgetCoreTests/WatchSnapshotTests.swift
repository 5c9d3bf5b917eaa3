import FoundationEssentials
import Testing
@testable import TraktWidgetCore

struct WatchSnapshotTests {
    private func movie(_ title: String) -> WatchedItem {
        WatchedItem(kind: .movie, title: title, year: 2000, posterURL: nil, url: nil, watchedAt: "2026-08-02")
    }

    @Test func lastIsTheFirstRecentItem() {
        let snapshot = WatchSnapshot(recent: [movie("Newest"), movie("Older")])
        #expect(snapshot.last?.title == "Newest")
        #expect(WatchSnapshot.empty.last == nil)
    }

    @Test func keepsAtMostTenRecentItems() {
        let snapshot = WatchSnapshot(recent: (0..<15).map { movie("M\($0)") })
        #expect(snapshot.recent.count == WatchSnapshot.maximumRecent)
        #expect(snapshot.recent.last?.title == "M9")
    }

    @Test func failureCodesNameTheProvider() {
        #expect(ProviderFailure.rateLimited(retryAfter: 5).code(for: .simkl) == "SIMKL_RATE_LIMITED")
        #expect(ProviderFailure.malformed.code(for: .trakt) == "TRAKT_MALFORMED_RESPONSE")
        #expect(ProviderFailure.reauthRequired.code(for: .letterboxd) == "REAUTH_REQUIRED")
        #expect(ProviderFailure.unavailable(code: "LETTERBOXD_BLOCKED").code(for: .letterboxd) == "LETTERBOXD_BLOCKED")
        #expect(ProviderFailure.rateLimited(retryAfter: 300).retryAfter == 300)
        #expect(ProviderFailure.malformed.retryAfter == nil)
    }

    @Test func anItemPersistedBeforeProvidersStillDecodesItsTraktURL() throws {
        let legacy = #"{"type":"movie","title":"Heat","year":1995,"trakt_url":"https://trakt.tv/movies/heat-1995","watched_at":"2025-01-01T00:00:00.000Z"}"#
        let item = try JSONDecoder().decode(WatchedItem.self, from: Data(legacy.utf8))
        #expect(item.url == "https://trakt.tv/movies/heat-1995")
        #expect(item.precision == .instant)
    }

    @Test func aSnapshotRoundTripsWithItsDayPrecisionAndRating() throws {
        var item = movie("Toy Story 4")
        item.precision = .day
        item.rating = 3.5
        item.rewatch = true
        let snapshot = WatchSnapshot(recent: [item])
        let decoded = try JSONDecoder().decode(WatchSnapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(decoded == snapshot)
    }
}
