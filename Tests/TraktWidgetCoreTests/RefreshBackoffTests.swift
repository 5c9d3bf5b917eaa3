import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct RefreshBackoffTests {
    static let policy = CachePolicy(ttl: 300)
    static let t0 = 1_700_000_000.0

    @Test func startsIdle() {
        let backoff = RefreshBackoff()
        #expect(!backoff.isFailing)
        #expect(backoff.consecutiveFailures == 0)
        #expect(!backoff.isWaiting(now: Self.t0))
    }

    @Test func countsFailuresAndDoublesTheWait() {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: nil, policy: Self.policy)
        #expect(backoff.isFailing)
        #expect(backoff.consecutiveFailures == 1)
        #expect(backoff.nextAttemptAt == Self.t0 + 30)
        #expect(backoff.isWaiting(now: Self.t0 + 29.9))
        #expect(!backoff.isWaiting(now: Self.t0 + 30))

        backoff.recordFailure(now: Self.t0 + 30, retryAfter: nil, policy: Self.policy)
        #expect(backoff.consecutiveFailures == 2)
        #expect(backoff.nextAttemptAt == Self.t0 + 30 + 60)

        backoff.recordFailure(now: Self.t0 + 90, retryAfter: nil, policy: Self.policy)
        #expect(backoff.consecutiveFailures == 3)
        #expect(backoff.nextAttemptAt == Self.t0 + 90 + 120)
    }

    @Test func secondsUntilNextAttemptRoundsUpAndIsAtLeastOne() {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: nil, policy: Self.policy)
        #expect(backoff.secondsUntilNextAttempt(now: Self.t0) == 30)
        #expect(backoff.secondsUntilNextAttempt(now: Self.t0 + 0.5) == 30)
        #expect(backoff.secondsUntilNextAttempt(now: Self.t0 + 29.5) == 1)
        #expect(backoff.secondsUntilNextAttempt(now: Self.t0 + 30) == 1)
        #expect(backoff.secondsUntilNextAttempt(now: Self.t0 + 1_000) == 1)
    }

    @Test func retryAfterLengthensTheWait() {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: 120, policy: Self.policy)
        #expect(backoff.nextAttemptAt == Self.t0 + 120)
        // Even beyond the TTL cap: Trakt's deadline is binding.
        backoff.recordFailure(now: Self.t0 + 120, retryAfter: 3_600, policy: Self.policy)
        #expect(backoff.nextAttemptAt == Self.t0 + 120 + 3_600)
    }

    @Test func retryAfterNeverShortensTheWait() {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: 5, policy: Self.policy)
        #expect(backoff.nextAttemptAt == Self.t0 + 30)
        backoff.recordFailure(now: Self.t0 + 30, retryAfter: 0, policy: Self.policy)
        #expect(backoff.nextAttemptAt == Self.t0 + 30 + 60)
    }

    @Test func successResets() {
        var backoff = RefreshBackoff()
        for index in 0..<4 { backoff.recordFailure(now: Self.t0 + Double(index), retryAfter: 60, policy: Self.policy) }
        #expect(backoff.consecutiveFailures == 4)
        backoff.recordSuccess()
        #expect(backoff == RefreshBackoff())
        #expect(!backoff.isFailing)
        #expect(!backoff.isWaiting(now: Self.t0))
        // The next failure starts over at the minimum.
        backoff.recordFailure(now: Self.t0, retryAfter: nil, policy: Self.policy)
        #expect(backoff.nextAttemptAt == Self.t0 + 30)
    }

    @Test func codableRoundTrip() throws {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: nil, policy: Self.policy)
        let decoded = try JSONDecoder().decode(RefreshBackoff.self, from: JSONEncoder().encode(backoff))
        #expect(decoded == backoff)
    }
}
