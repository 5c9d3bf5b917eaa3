/// When to serve, when to refresh, and how long to back off. Pure: the caller passes the clock.
public struct CachePolicy: Equatable, Sendable {
    /// How long a result counts as fresh (`CACHE_TTL`).
    public var ttl: Double
    /// The first retry delay after a failed refresh. Never longer than the TTL.
    public var minBackoff: Double
    /// The longest retry delay: the TTL, so a recovered Trakt is noticed within one TTL.
    public var maxBackoff: Double

    public static let defaultMinBackoff = 30.0
    /// The longest a result may outlive its TTL before it is flagged stale.
    public static let longestStaleGrace = 30.0

    /// How long past the TTL a result is still served as current, so the background refresh it triggers
    /// can land: the TTL itself, at most `longestStaleGrace`.
    public var staleGrace: Double { min(ttl, Self.longestStaleGrace) }

    /// Whether `cached` is older than TTL plus grace, whatever kept it from being refreshed (Trakt
    /// failing, a refresh stuck on the database, a quiet site): it is then served with `"stale": true`.
    public func isStale(now: Double, cached: CachedResult) -> Bool {
        cached.stale || now - cached.verifiedAt > ttl + staleGrace
    }

    public init(ttl: Double, minBackoff: Double = CachePolicy.defaultMinBackoff) {
        self.ttl = ttl
        self.minBackoff = min(minBackoff, ttl)
        self.maxBackoff = max(ttl, self.minBackoff)
    }

    public func decide(
        now: Double, cached: CachedResult?, refreshing: Bool, backoff: RefreshBackoff
    ) -> CacheDecision {
        let mayStart = !refreshing && !backoff.isWaiting(now: now)
        guard let cached else {
            if refreshing { return .waitForRefresh(start: false) }
            if backoff.isWaiting(now: now) { return .fail(retryAfter: backoff.secondsUntilNextAttempt(now: now)) }
            return .waitForRefresh(start: true)
        }
        let age = now - cached.verifiedAt
        // A negative age means the wall clock stepped back: distrust it rather than stay "fresh" for hours.
        let fresh = age >= 0 && age < ttl
        return .serve(refresh: !fresh && mayStart)
    }

    /// Seconds of freshness left, for `Cache-Control: max-age`. An expired result that is being
    /// revalidated gets 1 s, so nginx still absorbs bursts while the refresh lands.
    public func maxAge(now: Double, cached: CachedResult) -> Int {
        let left = min(ttl, ttl - (now - cached.verifiedAt))
        return left >= 1 ? Int(saturating: left) : 1
    }

    /// The delay before attempt number `failures + 1`: 30 s, 60 s, 120 s … capped at the TTL.
    public func backoffDelay(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        let doubling = Double(1 << min(failures - 1, 20))
        return min(maxBackoff, minBackoff * doubling)
    }
}
