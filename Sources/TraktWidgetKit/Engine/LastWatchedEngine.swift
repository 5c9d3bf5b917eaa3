import TraktWidgetCore

/// The in-process cache in front of Trakt: answers from memory, refreshes in the background one fetch
/// at a time, and backs off when upstream fails. Requests never call upstream themselves.
public final class LastWatchedEngine: LastWatchedSource, @unchecked Sendable {
    // Everything below `lock` is guarded by it. Requests hold it only to read a reference.
    private let lock = ConditionLock()
    private var cached: CachedResult?
    /// The card variants and history lists of `cached`; rebuilt after it changes, off the lock.
    private var views: WatchViews?
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
    private let posters: PosterBytes?
    private let cardPosters: CardPosters
    /// The longest a cold request waits for the first fetch before it is told to come back later.
    private let coldWait: Double
    private let log = Logger.shared

    /// `posters` fetches card images during refreshes (nil: cards show placeholders).
    public init(
        policy: CachePolicy, fetcher: LastWatchedFetcher, store: any TokenStore, tokens: TokenManager?,
        clock: Clock, coldWait: Double, posters: PosterBytes? = nil, cardPosters: CardPosters = CardPosters(images: ImageSettings())
    ) {
        self.posters = posters
        self.cardPosters = cardPosters
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
        PosixThread.spawn(name: "tw-refresh") { [self] in
            // A result restored from the store has no poster images yet; fetch them before waiting.
            rebuildViews(fetchingPosters: true)
            refreshLoop()
        }
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
        switch serve() {
        case .success(let (result, _, maxAge)): .result(result, maxAge: maxAge)
        case .failure(let error): .failure(error)
        }
    }

    public func watchViews() -> WatchViewsLookup {
        switch serve() {
        case .success(let (result, views, maxAge)):
            // Only in the moment between a refresh landing and its views being built.
            let current = views ?? WatchViews(result: result, posters: posterImages(result), sources: cardPosters, now: clock.now())
            return .views(current, maxAge: maxAge)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// The cached result, its views when they are built for it, and the max-age to send.
    private func serve() -> Result<(CachedResult, WatchViews?, Int), APIError> {
        let found: LastWatchedLookup = lock.withLock {
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
        switch found {
        case .result(let result, let maxAge):
            let current = lock.withLock { views?.result === result ? views : nil }
            return .success((result, current, maxAge))
        case .failure(let error):
            return .failure(error)
        }
    }

    public func health() -> HealthReport {
        let storeReachable = store.isReachable()
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
        if case .success(let result) = outcome {
            posters?.fetchMissing(cardPosters.urls(for: result.snapshot))
        }
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
            persisting = cached != nil
            return cached.map { PersistedResult($0, backoff: backoff) }
        }
        rebuildViews(fetchingPosters: false)
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

    /// Renders the views of the current result, again the variants the previous views held, outside the
    /// lock; installs them unless another refresh replaced the result meanwhile.
    private func rebuildViews(fetchingPosters: Bool) {
        let (current, previous) = lock.withLock { (cached, views) }
        guard let current, previous?.result !== current else { return }
        if fetchingPosters { posters?.fetchMissing(cardPosters.urls(for: current.snapshot)) }
        let built = WatchViews(result: current, posters: posterImages(current), sources: cardPosters, now: clock.now(), previous: previous)
        lock.withLock {
            if cached === current { views = built }
        }
    }

    private func posterImages(_ result: CachedResult) -> [String: PosterImage] {
        posters?.images(for: cardPosters.urls(for: result.snapshot)) ?? [:]
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
