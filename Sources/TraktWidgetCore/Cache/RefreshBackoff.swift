/// The failure memory of the refresh loop: how many refreshes failed in a row, and when the next may run.
public struct RefreshBackoff: Equatable, Sendable, Codable {
    public private(set) var consecutiveFailures: Int
    public private(set) var nextAttemptAt: Double

    public init(consecutiveFailures: Int = 0, nextAttemptAt: Double = 0) {
        self.consecutiveFailures = consecutiveFailures
        self.nextAttemptAt = nextAttemptAt
    }

    public var isFailing: Bool { consecutiveFailures > 0 }

    public func isWaiting(now: Double) -> Bool {
        now < nextAttemptAt
    }

    public func secondsUntilNextAttempt(now: Double) -> Int {
        max(1, Int(saturating: (nextAttemptAt - now).rounded(.up)))
    }

    /// Exponential backoff; an upstream `Retry-After` can only lengthen the wait, never shorten it.
    public mutating func recordFailure(now: Double, retryAfter: Double?, policy: CachePolicy) {
        consecutiveFailures += 1
        let delay = max(policy.backoffDelay(afterFailures: consecutiveFailures), retryAfter ?? 0)
        nextAttemptAt = now + delay
    }

    public mutating func recordSuccess() {
        consecutiveFailures = 0
        nextAttemptAt = 0
    }
}
