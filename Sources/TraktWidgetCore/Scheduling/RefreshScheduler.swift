/// When to refresh, who waits for it, and what each request is told: the refresh engine's state, as a
/// pure value. Events come in (`request`, `waitEnded`, `begin`, `land`, `persisted`, `shutdown`), each
/// returning the `RefreshAction`s to take; the engine guards one value of it with a lock and carries the
/// actions out. At most one refresh runs at a time, and requests never call upstream themselves.
public struct RefreshScheduler: Sendable {
    public let policy: CachePolicy
    public private(set) var cached: CachedResult? {
        didSet { staleCopy = nil }
    }
    /// `cached` flagged stale, built once when it first outlives TTL plus grace.
    private var staleCopy: CachedResult?
    public private(set) var backoff: RefreshBackoff
    public private(set) var lastSuccessAt: Double?
    /// The upstream failure of the last refresh (nil after a success or a store failure).
    public private(set) var lastUpstreamError: RefreshError?
    /// The last store failure, during a refresh or the write of its result (nil after both succeed).
    public private(set) var lastStoreError: RefreshError?
    public private(set) var isShuttingDown = false
    /// A result is being written to the store (after the waiting requests got it).
    public private(set) var isPersisting = false

    private var requested = false
    private var refreshing = false
    /// Counts landed refreshes, so a waiter knows the one it joined has landed.
    private var landed = 0
    /// The last refresh's failure (nil after a success): a cold 503 says re-auth when it was one.
    private var lastFailure: RefreshError?

    /// `restored` is what the store kept from an earlier run: its result is served until it expires, and
    /// its backoff still holds.
    public init(policy: CachePolicy, restored: (result: CachedResult, backoff: RefreshBackoff)? = nil) {
        self.policy = policy
        cached = restored?.result
        backoff = restored?.backoff ?? RefreshBackoff()
        lastSuccessAt = restored?.result.verifiedAt
    }

    /// Whether the refresh thread has something to do: a refresh to run, or shutdown.
    public var refresherHasWork: Bool { requested || isShuttingDown }

    /// Whether a request waiting for `ticket` may stop waiting.
    public func hasLanded(_ ticket: Int) -> Bool { landed >= ticket || isShuttingDown }

    // MARK: Events

    /// A request for the last watched item.
    public mutating func request(now: Double) -> [RefreshAction] {
        switch policy.decide(now: now, cached: cached, refreshing: refreshing || requested, backoff: backoff) {
        case .serve(let refresh):
            let answer = RefreshAction.answer(served(now: now), maxAge: policy.maxAge(now: now, cached: cached!))
            return refresh ? requestRefresh() + [answer] : [answer]
        case .fail(let retryAfter):
            return [unavailable(retryAfter: retryAfter)]
        case .waitForRefresh(let start):
            let wait = RefreshAction.waitForLanding(ticket: landed + 1)
            return start ? requestRefresh() + [wait] : [wait]
        }
    }

    /// A request stopped waiting for `ticket`: it landed, shutdown began, or the cold wait ran out.
    public mutating func waitEnded(ticket: Int, now: Double) -> [RefreshAction] {
        if let cached {
            return [.answer(served(now: now), maxAge: policy.maxAge(now: now, cached: cached))]
        }
        let retryAfter = landed >= ticket && !isShuttingDown ? backoff.secondsUntilNextAttempt(now: now) : 1
        return [unavailable(retryAfter: retryAfter)]
    }

    /// Whether a refresh on the caller's thread is due (CGI, one request per process; `trakt-widget
    /// last`): the cache is missing or expired and no backoff forbids it. `force` ignores both.
    public func inlineRefreshDue(now: Double, force: Bool) -> Bool {
        if force { return true }
        switch policy.decide(now: now, cached: cached, refreshing: false, backoff: backoff) {
        case .serve(let refresh): return refresh
        case .waitForRefresh: return true
        case .fail: return false
        }
    }

    /// The refresh thread (or an inline refresh) is ready to work.
    public mutating func begin() -> [RefreshAction] {
        if isShuttingDown { return [.stopRefresher] }
        requested = false
        refreshing = true
        return [.fetch(previous: cached)]
    }

    /// A fetch ended.
    public mutating func land(_ landing: RefreshLanding, now: Double) -> [RefreshAction] {
        refreshing = false
        landed += 1
        var actions: [RefreshAction] = [.wakeWaiters]
        switch landing {
        case .success(let result):
            succeeded(result, now: now)
            lastUpstreamError = nil
            lastStoreError = nil
        case .partial(let result, let failure):
            // The result keeps the failing side's last good item, so it is served as current; the
            // failure still backs off, so a 429's Retry-After holds for both sides.
            cached = result
            lastSuccessAt = now
            lastFailure = nil
            backoff.recordFailure(now: now, retryAfter: failure.retryAfter, policy: policy)
            lastUpstreamError = failure
            lastStoreError = nil
            actions.append(.backOff(until: backoff.nextAttemptAt, failure: failure))
        case .failure(let failure):
            backoff.recordFailure(now: now, retryAfter: failure.retryAfter, policy: policy)
            if failure.source == .store { lastStoreError = failure }
            lastUpstreamError = failure.source == .store ? nil : failure
            lastFailure = failure
            cached = cached?.with(stale: true)
            actions.append(.backOff(until: backoff.nextAttemptAt, failure: failure))
        }
        if let cached {
            isPersisting = true
            actions.append(.persist(cached, backoff))
        }
        return actions
    }

    /// The store write of a landed result finished; `failure` when it did not succeed.
    public mutating func persisted(failure: RefreshError?) -> [RefreshAction] {
        isPersisting = false
        if let failure {
            lastStoreError = failure
        } else if lastFailure?.source != .store {
            lastStoreError = nil
        }
        return [.wakeWaiters]
    }

    /// SIGTERM: waiting requests answer 503 at once and the refresh thread stops.
    public mutating func shutdown() -> [RefreshAction] {
        isShuttingDown = true
        return [.wakeWaiters]
    }

    // MARK: Helpers

    /// The cached result as answered now: flagged stale once older than TTL plus grace, whatever kept
    /// it from being refreshed.
    private mutating func served(now: Double) -> CachedResult {
        let current = cached!
        guard policy.isStale(now: now, cached: current) else { return current }
        if staleCopy == nil { staleCopy = current.with(stale: true) }
        return staleCopy!
    }

    private mutating func requestRefresh() -> [RefreshAction] {
        requested = true
        return [.startRefresh]
    }

    private mutating func succeeded(_ result: CachedResult, now: Double) {
        cached = result
        backoff.recordSuccess()
        lastSuccessAt = now
        lastFailure = nil
    }

    private func unavailable(retryAfter: Int) -> RefreshAction {
        .answerUnavailable(retryAfter: retryAfter, reauthRequired: lastFailure?.source == .reauthRequired)
    }
}
