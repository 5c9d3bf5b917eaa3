import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

/// The in-process cache in front of Trakt: answers from memory, refreshes in the background one fetch
/// at a time, and backs off when upstream fails. Requests never call upstream themselves.
public final class LastWatchedEngine: LastWatchedSource, @unchecked Sendable {
    // Everything below `lock` is guarded by it. Requests hold it only to read a reference.
    private let lock = ConditionLock()
    private var cached: CachedResult?
    private var refreshRequested = false
    private var refreshing = false
    /// Counts finished refreshes, so a waiter knows the one it joined has landed.
    private var completedRefreshes = 0
    private var backoff = RefreshBackoff()
    private var lastSuccessAt: Double?
    private var lastFailure: UpstreamFailure?
    private var shuttingDown = false
    private var refreshActivity = RefreshActivity.stopped

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

    /// The idle refresh thread beats this often (seconds), so the watchdog can tell waiting from wedged.
    public static let beatInterval = 1.0
    /// How long shutdown waits for the refresh thread to return: a store write of the last good result
    /// finishes, so a restart finds it, but an upstream call in flight is abandoned. With the server's
    /// drain (1.5 s + 0.3 s) it stays within the 2 s promised on SIGTERM.
    public static let joinGrace = 0.2

    /// Starts the background refresh thread (the FastCGI server); CGI and `last` refresh inline instead.
    ///
    /// `freezeWhenExists` is a debugging aid for the watchdog (TRAKT_WIDGET_DEBUG_FREEZE_FILE): once that
    /// file exists, the thread stops beating forever, as a thread wedged in a call would.
    public func startRefreshThread(freezeWhenExists freezeFile: String? = nil) {
        lock.withLock { refreshActivity = .waiting(lastBeat: ConditionLock.monotonicNow()) }
        PosixThread.spawn(name: "tw-refresh") { [self] in
            refreshLoop(freezeFile: freezeFile)
            lock.withLock {
                refreshActivity = .stopped
                lock.broadcast()
            }
        }
    }

    /// Wakes every waiting request (they answer 503 at once) and tells the refresh thread to stop.
    public func shutdown() {
        lock.withLock {
            shuttingDown = true
            lock.broadcast()
        }
    }

    /// `shutdown()`, then waits up to `timeout` for the refresh thread to return. False when it is still
    /// inside an upstream call.
    @discardableResult
    public func stopRefreshThread(timeout: Double = joinGrace) -> Bool {
        shutdown()
        return lock.withLock { lock.wait(until: { refreshActivity == .stopped }, timeout: timeout) }
    }

    /// What the refresh thread is doing, for the watchdog.
    public var activity: RefreshActivity {
        lock.withLock { refreshActivity }
    }

    // MARK: LastWatchedSource

    public func lastWatched() -> LastWatchedLookup {
        lock.withLock {
            let now = clock.now()
            switch policy.decide(now: now, cached: cached, refreshing: refreshing || refreshRequested, backoff: backoff) {
            case .serve(let refresh):
                if refresh { requestRefresh() }
                return .result(cached!, maxAge: policy.maxAge(now: now, cached: cached!))
            case .fail(let retryAfter):
                return .failure(coldError(retryAfter: retryAfter))
            case .waitForRefresh(let start):
                if start { requestRefresh() }
                let target = completedRefreshes + 1
                let landed = lock.wait(until: { completedRefreshes >= target || shuttingDown }, timeout: coldWait)
                if let cached {
                    return .result(cached, maxAge: policy.maxAge(now: clock.now(), cached: cached))
                }
                let retryAfter = landed && !shuttingDown ? backoff.secondsUntilNextAttempt(now: clock.now()) : 1
                return .failure(coldError(retryAfter: retryAfter))
            }
        }
    }

    public func health() -> HealthReport {
        health(probingStore: true)
    }

    /// `probingStore: false` skips the store's reachability check (a database round trip), for the
    /// watchdog's status line, which must never wait on the network.
    public func health(probingStore: Bool) -> HealthReport {
        let storeReachable = probingStore ? store.isReachable() : true
        let tokenPhase = tokens?.phase ?? .notUsed
        let pair = tokens?.pair
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
                cacheStale: cached?.stale ?? false,
                lastSuccessAt: lastSuccessAt,
                lastErrorCode: lastFailure?.code
            )
        }
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

    private func refreshLoop(freezeFile: String?) {
        while true {
            let stop: Bool = lock.withLock {
                while !(refreshRequested || shuttingDown) {
                    _ = lock.wait(until: { refreshRequested || shuttingDown }, timeout: Self.beatInterval)
                    if let freezeFile, access(freezeFile, F_OK) == 0 { return false }
                    refreshActivity = .waiting(lastBeat: ConditionLock.monotonicNow())
                }
                return shuttingDown
            }
            if stop { return }
            if let freezeFile, access(freezeFile, F_OK) == 0 {
                log.warning("refresh thread frozen on purpose (\(freezeFile) exists)")
                while true { pause() }
            }
            lock.withLock { refreshActivity = .fetching(since: ConditionLock.monotonicNow()) }
            runRefresh()
            lock.withLock { refreshActivity = .waiting(lastBeat: ConditionLock.monotonicNow()) }
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
            switch outcome {
            case .success(let result):
                cached = result
                backoff.recordSuccess()
                lastSuccessAt = now
                lastFailure = nil
            case .failure(let failure):
                backoff.recordFailure(now: now, retryAfter: failure.retryAfter, policy: policy)
                lastFailure = failure
                cached = cached?.with(stale: true)
                log.warning("refresh failed (\(failure.code)); retrying in \(backoff.secondsUntilNextAttempt(now: now)) s")
            }
            return cached.map { PersistedResult($0, backoff: backoff) }
        }
        if let persisted {
            do {
                try store.saveLastResult(persisted)
            } catch {
                log.warning("could not persist the last good result: \(error)")
            }
        }
        return outcome.failure
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
