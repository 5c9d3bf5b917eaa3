import XCTest
@testable import TraktWidgetCore

final class StatusLineTests: XCTestCase {
    private func health(mode: HealthReport.Mode = .oauth, expiresAt: Double? = nil, cacheAge: Double? = nil,
                        stale: Bool = false, error: String? = nil, canServe: Bool = true) -> HealthReport {
        HealthReport(
            canServe: canServe, mode: mode, tokenState: "valid", tokenExpiresAt: expiresAt, tokenRotatedAt: nil,
            storeKind: "file", storeReachable: true, cacheAge: cacheAge, cacheStale: stale, lastSuccessAt: nil,
            lastErrorCode: error
        )
    }

    func testTheOneLineSystemctlStatusShows() {
        let now = 1_000_000.0
        XCTAssertEqual(StatusLine.make(health(expiresAt: now + 3 * 86_400 + 5, cacheAge: 42), now: now),
                       "serving, cache 42 s old, token valid 3 d")
        XCTAssertEqual(StatusLine.make(health(mode: .public, cacheAge: 600, stale: true, error: "UPSTREAM_UNAVAILABLE"), now: now),
                       "serving, cache 10 min old (stale), public mode, last error UPSTREAM_UNAVAILABLE")
        XCTAssertEqual(StatusLine.make(health(expiresAt: now - 1, canServe: false), now: now, problem: "refresh thread silent for 7 s"),
                       "stuck: refresh thread silent for 7 s, cache empty, token valid")
        XCTAssertEqual(StatusLine.make(health(expiresAt: now + 7_199), now: now), "serving, cache empty, token valid 119 min")
    }
}
