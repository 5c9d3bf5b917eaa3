import Testing
import TraktWidgetCore

@Suite struct CachePolicyTests {
    static let policy = CachePolicy(ttl: 300)
    static let t0 = 1_700_000_000.0

    static func cached(verifiedAt: Double = t0) -> CachedResult {
        CachedResult(provider: .trakt, snapshot: WatchSnapshot(last: nil), fetchedAt: verifiedAt, verifiedAt: verifiedAt, posterRetry: nil, mark: nil)
    }

    static func failing(at now: Double, failures: Int = 1, policy: CachePolicy = policy) -> RefreshBackoff {
        var backoff = RefreshBackoff()
        for _ in 0..<failures { backoff.recordFailure(now: now, retryAfter: nil, policy: policy) }
        return backoff
    }

    /// Older than TTL plus a grace of at most 30 s means stale, whatever kept the refresh from landing.
    @Test(arguments: [(1.0, 1.0), (20, 20), (300, 30), (86_400, 30)] as [(Double, Double)])
    func staleAfterTTLPlusGrace(ttl: Double, grace: Double) {
        let policy = CachePolicy(ttl: ttl)
        #expect(policy.staleGrace == grace)
        #expect(!policy.isStale(now: Self.t0 + ttl + grace, cached: Self.cached()))
        #expect(policy.isStale(now: Self.t0 + ttl + grace + 0.001, cached: Self.cached()))
        #expect(policy.isStale(now: Self.t0, cached: Self.cached().with(stale: true)))
    }

    @Test func defaults() {
        #expect(Self.policy.ttl == 300)
        #expect(Self.policy.minBackoff == 30)
        #expect(Self.policy.maxBackoff == 300)
    }

    // MARK: decide

    @Test func freshIsServedWithoutRefresh() {
        for age in [0.0, 1, 150, 299.999] {
            let decision = Self.policy.decide(now: Self.t0 + age, cached: Self.cached(), refreshing: false, backoff: RefreshBackoff())
            #expect(decision == .serve(refresh: false), "age \(age)")
        }
    }

    @Test func expiredIsServedAndRefreshedOnce() {
        for age in [300.0, 301, 86_400] {
            let decision = Self.policy.decide(now: Self.t0 + age, cached: Self.cached(), refreshing: false, backoff: RefreshBackoff())
            #expect(decision == .serve(refresh: true), "age \(age)")
        }
    }

    @Test func expiredWhileRefreshingDoesNotStartAnother() {
        let decision = Self.policy.decide(now: Self.t0 + 400, cached: Self.cached(), refreshing: true, backoff: RefreshBackoff())
        #expect(decision == .serve(refresh: false))
    }

    @Test func expiredWhileBackingOffDoesNotRefresh() {
        let now = Self.t0 + 400
        let backoff = Self.failing(at: now - 10)  // next attempt at now + 20
        #expect(Self.policy.decide(now: now, cached: Self.cached(), refreshing: false, backoff: backoff) == .serve(refresh: false))
        // Once the backoff has passed, the refresh runs again.
        #expect(Self.policy.decide(now: now + 20, cached: Self.cached(), refreshing: false, backoff: backoff) == .serve(refresh: true))
    }

    @Test func coldStartsTheFetch() {
        #expect(Self.policy.decide(now: Self.t0, cached: nil, refreshing: false, backoff: RefreshBackoff()) == .waitForRefresh(start: true))
    }

    @Test func coldJoinsTheRunningFetch() {
        #expect(Self.policy.decide(now: Self.t0, cached: nil, refreshing: true, backoff: RefreshBackoff()) == .waitForRefresh(start: false))
        // Even when backing off, a fetch that is already running is joined rather than failed.
        let backoff = Self.failing(at: Self.t0)
        #expect(Self.policy.decide(now: Self.t0, cached: nil, refreshing: true, backoff: backoff) == .waitForRefresh(start: false))
    }

    @Test func coldWhileBackingOffFailsFast() {
        let backoff = Self.failing(at: Self.t0)  // next attempt at t0 + 30
        #expect(Self.policy.decide(now: Self.t0, cached: nil, refreshing: false, backoff: backoff) == .fail(retryAfter: 30))
        #expect(Self.policy.decide(now: Self.t0 + 29.2, cached: nil, refreshing: false, backoff: backoff) == .fail(retryAfter: 1))
        #expect(Self.policy.decide(now: Self.t0 + 30, cached: nil, refreshing: false, backoff: backoff) == .waitForRefresh(start: true))
    }

    // MARK: maxAge

    @Test func maxAgeCountsDownAndFloorsAtOne() {
        let cached = Self.cached()
        #expect(Self.policy.maxAge(now: Self.t0, cached: cached) == 300)
        #expect(Self.policy.maxAge(now: Self.t0 + 0.4, cached: cached) == 299)
        #expect(Self.policy.maxAge(now: Self.t0 + 100.5, cached: cached) == 199)
        #expect(Self.policy.maxAge(now: Self.t0 + 299, cached: cached) == 1)
        #expect(Self.policy.maxAge(now: Self.t0 + 299.5, cached: cached) == 1)
        #expect(Self.policy.maxAge(now: Self.t0 + 300, cached: cached) == 1)
        #expect(Self.policy.maxAge(now: Self.t0 + 10_000, cached: cached) == 1)
    }

    @Test func maxAgeNeverExceedsTheTTL() {
        // The wall clock stepped back after the fetch: never promise more than one TTL.
        let maxAge = Self.policy.maxAge(now: Self.t0 - 500, cached: Self.cached())
        #expect(maxAge <= 300)
    }

    // MARK: backoff delays

    @Test func backoffDoublesFromThirtyAndCapsAtTTL() {
        let delays = (0...7).map { Self.policy.backoffDelay(afterFailures: $0) }
        #expect(delays == [0, 30, 60, 120, 240, 300, 300, 300])
        #expect(Self.policy.backoffDelay(afterFailures: 1_000) == 300)
        #expect(Self.policy.backoffDelay(afterFailures: Int.max) == 300)
    }

    @Test func shortTTLCapsTheMinimumBackoff() {
        let policy = CachePolicy(ttl: 2)
        #expect(policy.minBackoff == 2)
        #expect(policy.maxBackoff == 2)
        #expect((1...5).map { policy.backoffDelay(afterFailures: $0) } == [2, 2, 2, 2, 2])
    }

    @Test func ttlBetweenMinimumAndDoubling() {
        let policy = CachePolicy(ttl: 45)
        #expect((1...3).map { policy.backoffDelay(afterFailures: $0) } == [30, 45, 45])
    }

    @Test func customMinimumBackoff() {
        let policy = CachePolicy(ttl: 300, minBackoff: 10)
        #expect((1...7).map { policy.backoffDelay(afterFailures: $0) } == [10, 20, 40, 80, 160, 300, 300])
    }
}
