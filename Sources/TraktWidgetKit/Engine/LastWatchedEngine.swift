import TraktWidgetCore

/// The in-process cache in front of the provider: answers from memory, refreshes in the background one
/// fetch at a time, and backs off when upstream fails. Requests never call upstream themselves. It
/// knows the provider only through `WatchProvider`.
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
    private var lastFailure: ProviderFailure?
    private var shuttingDown = false
    /// A refreshed result is being written to the store (after the waiting requests got it).
    private var persisting = false

    private let policy: CachePolicy
    private let provider: any WatchProvider
    /// Retries a poster TMDB failed to give while the provider reports no change.
    private let posters: PosterResolver?
    private let store: any TokenStore
    private let auth: AuthStatus
    private let clock: Clock
    /// The longest a cold request waits for the first fetch before it is told to come back later.
    private let coldWait: Double
    private let log = Logger.shared

    public init(
        policy: CachePolicy, provider: any WatchProvider, posters: PosterResolver?, store: any TokenStore,
        auth: AuthStatus, clock: Clock, coldWait: Double
    ) {
        self.policy = policy
        self.provider = provider
        self.posters = posters
        self.store = store
        self.auth = auth
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
        let storeReachable = store.isReachable()
        let tokenPhase = auth.phase()
        let pair = auth.pair()
        return lock.withLock {
            let now = clock.now()
            let canServe = cached != nil || (!backoff.isFailing && tokenPhase != .reauthRequired && tokenPhase != .missing)
            return HealthReport(
                canServe: canServe,
                provider: provider.kind,
                mode: auth.mode,
                tokenState: tokenPhase.rawValue,
                tokenExpiresAt: pair?.expiresAt,
                tokenRotatedAt: pair?.rotatedAt,
                storeKind: store.kind,
                storeReachable: storeReachable,
                cacheAge: cached.map { now - $0.verifiedAt },
                cacheStale: cached?.stale ?? false,
                lastSuccessAt: lastSuccessAt,
                lastErrorCode: lastFailure?.code(for: provider.kind),
                lastWatched: cached?.item.flatMap { WatchedAtLabel.describe($0, now: now) }
            )
        }
    }

    // MARK: Refreshing

    /// Refreshes on the calling thread when the cache is missing or expired and no backoff forbids it
    /// (CGI, one request per process). `force` ignores freshness and backoff (`trakt-widget last`).
    @discardableResult
    public func refreshInline(force: Bool = false) -> ProviderFailure? {
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
    private func runRefresh() -> ProviderFailure? {
        let previous: CachedResult? = lock.withLock {
            refreshRequested = false
            refreshing = true
            return cached
        }
        let outcome = refresh(previous)
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
                log.warning("refresh failed (\(failure.code(for: provider.kind))); retrying in \(backoff.secondsUntilNextAttempt(now: now)) s")
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
        return outcome.failure
    }

    /// One refresh through the provider: the cheap change check, then a fetch only when it says so.
    private func refresh(_ previous: CachedResult?) -> Result<CachedResult, ProviderFailure> {
        let checked: ChangeMark?
        switch provider.changeCheck(since: previous?.mark) {
        case .failure(let failure): return .failure(failure)
        case .success(.unchanged) where previous != nil: return .success(retryingPoster(previous!))
        case .success(.unchanged): checked = nil
        case .success(.changed(let mark)): checked = mark
        }
        let context = FetchContext(held: previous?.snapshot, heldMark: previous?.mark, checked: checked)
        switch provider.fetch(context) {
        case .failure(let failure):
            return .failure(failure)
        case .success(.notModified(let mark)):
            guard let previous else { return .failure(.malformed) }
            return .success(retryingPoster(previous.reverified(at: clock.now(), mark: mark)))
        case .success(.updated(let snapshot, let mark, let retry)):
            let now = clock.now()
            // Same content: keep `cached_at`, so the body and its ETag stay stable across refreshes.
            let fetchedAt = previous.flatMap { $0.snapshot == snapshot ? $0.fetchedAt : nil } ?? now
            return .success(CachedResult(
                provider: provider.kind, snapshot: snapshot, fetchedAt: fetchedAt, verifiedAt: now,
                posterRetry: retry, mark: mark
            ))
        }
    }

    /// Upstream confirmed nothing changed. Only a poster TMDB failed to give last time is asked again.
    private func retryingPoster(_ previous: CachedResult) -> CachedResult {
        let now = clock.now()
        guard let reference = previous.posterRetry, let posters, var last = previous.item,
              case .some(let url) = posters.retry(reference)
        else { return previous.reverified(at: now, mark: previous.mark) }
        if let url { last.posterURL = url }
        var snapshot = previous.snapshot
        snapshot.recent[0] = last
        return CachedResult(
            provider: provider.kind, snapshot: snapshot, fetchedAt: now, verifiedAt: now, posterRetry: nil,
            mark: previous.mark
        )
    }

    private func coldError(retryAfter: Int) -> APIError {
        lastFailure == .reauthRequired
            ? .reauthRequired(retryAfter: retryAfter, provider: provider.kind)
            : .upstreamUnavailable(retryAfter: retryAfter, provider: provider.kind)
    }

    private func restorePersistedResult() {
        do {
            guard let persisted = try store.loadLastResult() else { return }
            // A result another provider fetched is not this deployment's answer.
            guard persisted.provider == provider.kind else { return }
            cached = persisted.cachedResult
            backoff = persisted.backoff
            lastSuccessAt = persisted.verifiedAt
        } catch {
            log.warning("ignoring the persisted last result: \(error)")
        }
    }
}
