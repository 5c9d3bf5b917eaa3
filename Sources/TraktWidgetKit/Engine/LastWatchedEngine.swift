import TraktWidgetCore

/// The in-process cache in front of Trakt: answers from memory, refreshes in the background one fetch
/// at a time, and backs off when upstream fails. Requests never call upstream themselves.
public final class LastWatchedEngine: LastWatchedSource, @unchecked Sendable {
    // Everything below `lock` is guarded by it. Requests hold it only to read a reference.
    private let lock = ConditionLock()
    private var cached: CachedResult?
    /// `cached` flagged stale, built once when it first outlives TTL plus grace.
    private var staleCopy: CachedResult?
    private var refreshRequested = false
    private var refreshing = false
    /// Counts finished refreshes, so a waiter knows the one it joined has landed.
    private var completedRefreshes = 0
    private var backoff = RefreshBackoff()
    private var lastSuccessAt: Double?
    private var lastFailure: UpstreamFailure?
    private var shuttingDown = false
    /// A refreshed result is being written to the store (after the waiting requests got it).
    private var persisting = false

    private let policy: CachePolicy
    private let fetcher: LastWatchedFetcher
    private let store: any TokenStore
    private let tokens: TokenManager?
    private let clock: Clock
    /// The longest a cold request waits for the first fetch before it is told to come back later.
    private let coldWait: Double
    private let log = Logger.shared

    public init(
        policy: CachePolicy, fetcher: LastWatchedFetcher, store: any TokenStore, tokens: TokenManager?,
        clock: Clock, coldWait: Double
    ) {
        self.policy = policy
        self.fetcher = fetcher
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.coldWait = coldWait
        restorePersistedResult()
    }

    /// Starts the background refresh thread (the FastCGI server); CGI and `last` refresh inline instead.
    public func startRefreshThread() {
        PosixThread.spawn(name: "tw-refresh") { [self] in refreshLoop() }
    }

    /// Wakes every waiting request (they answer 503 at once) and stops the refresh thread.
    public func shutdown() {
        lock.withLock {
            shuttingDown = true
            lock.broadcast()
        }
    }

    /// How long shutdown waits for that write: with the server's drain (1.5 s + 0.3 s) it stays under
    /// the 2 s promised on SIGTERM.
    public static let persistenceGrace = 0.15

    /// Lets a store write of the last good result that is under way finish, so a restart finds it.
    /// Bounded: an fsync, not an upstream call.
    public func waitForPersistence(timeout: Double = persistenceGrace) {
        lock.withLock { _ = lock.wait(until: { !persisting }, timeout: timeout) }
    }

    // MARK: LastWatchedSource

    public func lastWatched() -> LastWatchedLookup {
        lock.withLock {
            let now = clock.now()
            switch policy.decide(now: now, cached: cached, refreshing: refreshing || refreshRequested, backoff: backoff) {
            case .serve(let refresh):
                if refresh { requestRefresh() }
                return .result(served(now: now), maxAge: policy.maxAge(now: now, cached: cached!))
            case .fail(let retryAfter):
                return .failure(coldError(retryAfter: retryAfter))
            case .waitForRefresh(let start):
                if start { requestRefresh() }
                let target = completedRefreshes + 1
                let landed = lock.wait(until: { completedRefreshes >= target || shuttingDown }, timeout: coldWait)
                if let cached {
                    return .result(served(now: clock.now()), maxAge: policy.maxAge(now: clock.now(), cached: cached))
                }
                let retryAfter = landed && !shuttingDown ? backoff.secondsUntilNextAttempt(now: clock.now()) : 1
                return .failure(coldError(retryAfter: retryAfter))
            }
        }
    }

    public func health() -> HealthReport {
        let storeReachable = store.isReachable
        let tokenPhase = tokens?.phase ?? .notUsed
        let pair = tokens?.pair
        let persisted = tokens?.persisted ?? true
        return lock.withLock {
            let now = clock.now()
            let canServe = cached != nil || (!backoff.isFailing && tokenPhase != .reauthRequired && tokenPhase != .missing)
            return HealthReport(
                canServe: canServe,
                mode: tokens == nil ? .public : .oauth,
                tokenState: tokenPhase.rawValue,
                tokenExpiresAt: pair?.expiresAt,
                tokenRotatedAt: pair?.rotatedAt,
                storeKind: store.kind,
                storeReachable: storeReachable,
                cacheAge: cached.map { now - $0.verifiedAt },
                cacheStale: cached.map { policy.isStale(now: now, cached: $0) } ?? false,
                lastSuccessAt: lastSuccessAt,
                lastErrorCode: lastFailure?.code,
                tokenPersisted: persisted
            )
        }
    }

    /// The cached result as served now: flagged stale once older than TTL plus grace. Lock held.
    private func served(now: Double) -> CachedResult {
        let current = cached!
        guard policy.isStale(now: now, cached: current) else { return current }
        if staleCopy == nil { staleCopy = current.with(stale: true) }
        return staleCopy!
    }

    // MARK: Refreshing

    /// Refreshes on the calling thread when the cache is missing or expired and no backoff forbids it
    /// (CGI, one request per process). `force` ignores freshness and backoff (`trakt-widget last`).
    @discardableResult
    public func refreshInline(force: Bool = false) -> UpstreamFailure? {
        let due: Bool = lock.withLock {
            if force { return true }
            let decision = policy.decide(now: clock.now(), cached: cached, refreshing: false, backoff: backoff)
            switch decision {
            case .serve(let refresh): return refresh
            case .waitForRefresh: return true
            case .fail: return false
            }
        }
        guard due else { return nil }
        return runRefresh()
    }

    private func requestRefresh() {
        refreshRequested = true
        lock.broadcast()
    }

    private func refreshLoop() {
        while true {
            let stop: Bool = lock.withLock {
                lock.wait(until: { refreshRequested || shuttingDown })
                return shuttingDown
            }
            if stop { return }
            runRefresh()
        }
    }

    @discardableResult
    private func runRefresh() -> UpstreamFailure? {
        let previous: CachedResult? = lock.withLock {
            refreshRequested = false
            refreshing = true
            return cached
        }
        let outcome = fetcher.fetch(previous: previous)
        let persisted: PersistedResult? = lock.withLock {
            refreshing = false
            completedRefreshes += 1
            defer { lock.broadcast() }
            let now = clock.now()
            staleCopy = nil
            switch outcome {
            case .complete(let result):
                cached = result
                backoff.recordSuccess()
                lastSuccessAt = now
                lastFailure = nil
            case .partial(let result, let failure):
                cached = result
                lastSuccessAt = now
                backoff.recordFailure(now: now, retryAfter: failure.retryAfter, policy: policy)
                lastFailure = failure
                log.warning("one history failed (\(failure.code)); kept its last good item; retrying in \(backoff.secondsUntilNextAttempt(now: now)) s")
            case .failed(let failure):
                backoff.recordFailure(now: now, retryAfter: failure.retryAfter, policy: policy)
                lastFailure = failure
                cached = cached?.with(stale: true)
                log.warning("refresh failed (\(failure.code)); retrying in \(backoff.secondsUntilNextAttempt(now: now)) s")
            }
            persisting = cached != nil
            return cached.map { PersistedResult($0, backoff: backoff) }
        }
        if let persisted {
            do {
                try store.saveLastResult(persisted)
            } catch {
                log.warning("could not persist the last good result: \(error)")
            }
            lock.withLock {
                persisting = false
                lock.broadcast()
            }
        }
        switch outcome {
        case .complete: return nil
        case .partial(_, let failure), .failed(let failure): return failure
        }
    }

    private func coldError(retryAfter: Int) -> APIError {
        lastFailure == .reauthRequired ? .reauthRequired(retryAfter: retryAfter) : .upstreamUnavailable(retryAfter: retryAfter)
    }

    private func restorePersistedResult() {
        do {
            guard let persisted = try store.loadLastResult() else { return }
            cached = persisted.cachedResult
            backoff = persisted.backoff
            lastSuccessAt = persisted.verifiedAt
        } catch {
            log.warning("ignoring the persisted last result: \(error)")
        }
    }
}
