import Testing
import CurlClient
@testable import UpstreamClients

/// What "a 429's Retry-After is honoured" means exactly (docs/failure-modes.md).
@Suite struct RetryAfterTests {
    static func rateLimit(_ retryAfter: String?) -> UpstreamFailure {
        UpstreamFailure.fromTrakt(UpstreamResponse(status: 429, headers: retryAfter.map { ["retry-after": $0] } ?? [:]))
    }

    @Test func secondsAreRead() {
        #expect(Self.rateLimit("45").retryAfter == 45)
        #expect(Self.rateLimit(" 7 ").retryAfter == 7)
    }

    @Test func longerThanADayIsCutToADay() {
        #expect(Self.rateLimit("999999999").retryAfter == 86_400)
    }

    @Test(arguments: ["Wed, 21 Oct 2026 07:28:00 GMT", "soon", "-5", ""])
    func anHTTPDateOrJunkLeavesOnlyTheBackoff(_ header: String) {
        #expect(Self.rateLimit(header) == .rateLimited(retryAfter: nil))
    }

    @Test func noHeaderIsStillARateLimit() {
        #expect(Self.rateLimit(nil).code == "TRAKT_RATE_LIMITED")
    }
}
