import Logging
import PosterLookup
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore

/// The in-process cache in front of the provider: answers from memory, refreshes in the background one
/// fetch at a time, and backs off when upstream fails. Requests never call upstream themselves. It knows
/// the provider only through `WatchProvider`.
///
/// Every decision is `RefreshScheduler`'s; this class feeds it events and carries out its actions:
/// waking threads, fetching, writing the result to the store.
public final class LastWatchedEngine: LastWatchedSource, @unchecked Sendable {
    /// Guards `scheduler`. Rank `engineState` (`LockRank`): never held across a fetch or a store call.
    private let lock = ConditionLock(rank: .engineState)
    private var scheduler: RefreshScheduler
    /// The card variants and history lists of the scheduler's result; rebuilt, off the lock, after it
    /// changes. Guarded by `lock` too.
    private var views: WatchViews?
    /// A refresh has landed and its views are being built: card requests wait for them.
    private var buildingViews = false
    /// What the refresh thread is doing, for the watchdog; guarded by `lock` too.
    private var refreshActivity = RefreshActivity.stopped

    private let provider: any WatchProvider
    /// Retries a poster TMDB failed to give while the provider reports no change.
    private let posters: PosterResolver?
    private let store: any TokenStore
    private let auth: AuthStatus
    private let clock: WallClock
    /// Fetches the card's poster images during refreshes (nil: cards show placeholders).
    private let posterImages: PosterBytes?
    private let cardPosters: CardPosters
    /// The longest a cold request waits for the first fetch before it is told to come back later.
    private let coldWait: Double
    private let log = Logger.shared

    public init(
        policy: CachePolicy, provider: any WatchProvider, posters: PosterResolver?, store: any TokenStore,
        auth: AuthStatus, clock: WallClock, coldWait: Double, posterImages: PosterBytes? = nil,
        cardPosters: CardPosters = CardPosters(images: ImageSettings())
    ) {
        self.posterImages = posterImages
        self.cardPosters = cardPosters
        self.provider = provider
        self.posters = posters
        self.store = store
        self.auth = auth
        self.clock = clock
        self.coldWait = coldWait
        scheduler = RefreshScheduler(policy: policy, restored: Self.restore(from: store, provider: provider.kind))
    }

    /// The idle refresh thread beats this often (seconds), so the watchdog can tell waiting from wedged.
    public static let beatInterval = 1.0
    /// How long shutdown waits for the refresh thread: a store write of the last good result under way
    /// finishes, so a restart finds it; an upstream call in flight is not waited for. With the server's
    /// drain (1.5 s + 0.3 s) it stays within the 2 s promised on SIGTERM.
    public static let joinGrace = 0.2

    /// Starts the background refresh thread (the FastCGI server); CGI and `last` refresh inline instead.
    ///
    /// `freezeWhenExists` is a debugging aid for the watchdog (TRAKT_WIDGET_DEBUG_FREEZE_FILE): once that
    /// file exists, the thread stops beating forever, as a thread wedged in a call would.
    public func startRefreshThread(freezeWhenExists freezeFile: String? = nil) {
        lock.withLock { refreshActivity = .waiting(lastBeat: Syscalls.monotonicNow()) }
        PosixThread.spawn(name: "tw-refresh") { [self] in
            // A result restored from the store has no poster images yet; fetch them before waiting.
            rebuildViews()
            refreshLoop(freezeFile: freezeFile)
            lock.withLock {
                refreshActivity = .stopped
                lock.broadcast()
            }
        }
    }

    /// Wakes every waiting request (they answer 503 at once) and stops the refresh thread.
    public func shutdown() {
        lock.withLock { _ = signal(scheduler.shutdown()) }
    }

    /// `shutdown()`, then waits up to `timeout` for the refresh thread to return, or to be inside an
    /// upstream call with nothing left to write. False when it had not returned.
    @discardableResult
    public func stopRefreshThread(timeout: Double = joinGrace) -> Bool {
        shutdown()
        return lock.withLock {
            _ = lock.wait(until: {
                if case .fetching = refreshActivity { return !scheduler.isPersisting }
                return refreshActivity == .stopped
            }, timeout: timeout)
            return refreshActivity == .stopped
        }
    }

    /// What the refresh thread is doing, for the watchdog.
    public var activity: RefreshActivity {
        lock.withLock { refreshActivity }
    }

    // MARK: LastWatchedSource

    public func lastWatched() -> LastWatchedLookup {
        lock.withLock {
            var actions = signal(scheduler.request(now: clock.now()))
            while case .waitForLanding(let ticket)? = actions.first {
                _ = lock.wait(until: { scheduler.hasLanded(ticket) }, timeout: coldWait)
                actions = signal(scheduler.waitEnded(ticket: ticket, now: clock.now()))
            }
            switch actions.first {
            case .answer(let result, let maxAge)?:
                return .result(result, maxAge: maxAge)
            case .answerUnavailable(let retryAfter, let reauthRequired)?:
                return .failure(reauthRequired
                    ? .reauthRequired(retryAfter: retryAfter, provider: provider.kind)
                    : .upstreamUnavailable(retryAfter: retryAfter, provider: provider.kind))
            default:
                preconditionFailure("the scheduler answers every request: \(actions)")
            }
        }
    }

    public func watchViews() -> WatchViewsLookup {
        switch lastWatched() {
        case .failure(let error):
            return .failure(error)
        case .result(let result, let maxAge):
            // Right after a refresh lands, its views are still being built (poster images first): wait
            // for them rather than send a card without its poster for a whole max-age.
            let held = lock.withLock {
                _ = lock.wait(until: { views?.result === result || !buildingViews }, timeout: coldWait)
                return views?.result === result ? views : nil
            }
            let current = held ?? WatchViews(result: result, posters: images(for: result), sources: cardPosters, now: clock.now())
            return .views(current, maxAge: maxAge)
        }
    }

    public func health() -> HealthReport {
        let storeReachable = store.isReachable
        let tokenPhase = auth.phase()
        let pair = auth.pair()
        let persisted = auth.persisted()
        return lock.withLock {
            let now = clock.now()
            let cached = scheduler.cached
            let canServe = cached != nil || (!scheduler.backoff.isFailing && tokenPhase != .reauthRequired && tokenPhase != .missing)
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
                cacheStale: cached.map { scheduler.policy.isStale(now: now, cached: $0) } ?? false,
                lastSuccessAt: scheduler.lastSuccessAt,
                lastErrorCode: scheduler.lastUpstreamError?.code,
                storeLastErrorCode: scheduler.lastStoreError?.code,
                tokenPersisted: persisted,
                lastWatched: cached?.item.flatMap { WatchedAtLabel.describe($0, now: now) }
            )
        }
    }

    // MARK: Refreshing

    /// Refreshes on the calling thread when the cache is missing or expired and no backoff forbids it
    /// (CGI, one request per process). `force` ignores freshness and backoff (`trakt-widget last`).
    @discardableResult
    public func refreshInline(force: Bool = false) -> ProviderFailure? {
        let actions: [RefreshAction] = lock.withLock {
            scheduler.inlineRefreshDue(now: clock.now(), force: force) ? scheduler.begin() : []
        }
        guard case .fetch(let previous)? = actions.first else { return nil }
        return refresh(from: previous)
    }

    private func refreshLoop(freezeFile: String?) {
        while true {
            let actions: [RefreshAction] = lock.withLock {
                while !scheduler.refresherHasWork {
                    _ = lock.wait(until: { scheduler.refresherHasWork }, timeout: Self.beatInterval)
                    if let freezeFile, Syscalls.exists(freezeFile) { return [] }
                    refreshActivity = .waiting(lastBeat: Syscalls.monotonicNow())
                }
                let actions = scheduler.begin()
                if case .fetch? = actions.first { refreshActivity = .fetching(since: Syscalls.monotonicNow()) }
                return actions
            }
            if let freezeFile, Syscalls.exists(freezeFile) {
                log.warning("refresh thread frozen on purpose (\(freezeFile) exists)")
                while true { Syscalls.sleep(seconds: 3600) }
            }
            guard case .fetch(let previous)? = actions.first else { return }
            refresh(from: previous)
            lock.withLock { refreshActivity = .waiting(lastBeat: Syscalls.monotonicNow()) }
        }
    }

    @discardableResult
    private func refresh(from previous: CachedResult?) -> ProviderFailure? {
        let outcome = fetch(from: previous)
        let now = clock.now()
        let landing: RefreshLanding = switch outcome {
        case .success(let (result, nil)): .success(result)
        case .success(let (result, incomplete?)): .partial(result, incomplete.refreshError(for: provider.kind))
        case .failure(let failure): .failure(failure.refreshError(for: provider.kind))
        }
        let actions = lock.withLock {
            buildingViews = true
            return signal(scheduler.land(landing, now: now))
        }
        for action in actions {
            switch action {
            case .backOff(let until, let failure):
                log.warning("refresh failed (\(failure.code)); retrying in \(max(1, Int(saturating: (until - now).rounded(.up)))) s")
            case .persist(let result, let backoff):
                persist(PersistedResult(result, backoff: backoff))
            default:
                preconditionFailure("unexpected action after a landing: \(action)")
            }
        }
        // After the JSON is out: the card's poster images, then its views (card requests wait for them).
        rebuildViews()
        return outcome.failure
    }

    /// Fetches the current result's poster images and renders its views (again the variants the previous
    /// views held) outside the lock; installs them unless another refresh replaced the result meanwhile.
    private func rebuildViews() {
        let (current, previous) = lock.withLock {
            buildingViews = true
            return (scheduler.cached, views)
        }
        guard let current, previous?.result !== current else {
            lock.withLock {
                buildingViews = false
                lock.broadcast()
            }
            return
        }
        posterImages?.fetchMissing(cardPosters.urls(for: current.snapshot))
        let built = WatchViews(result: current, posters: images(for: current), sources: cardPosters, now: clock.now(), previous: previous)
        lock.withLock {
            if scheduler.cached === current { views = built }
            buildingViews = false
            lock.broadcast()
        }
    }

    private func images(for result: CachedResult) -> [String: PosterImage] {
        posterImages?.images(for: cardPosters.urls(for: result.snapshot)) ?? [:]
    }

    /// One refresh through the provider: the cheap change check, then a fetch only when it says so.
    /// The result, and what part of the fetch failed when it is incomplete.
    private func fetch(from previous: CachedResult?) -> Result<(CachedResult, ProviderFailure?), ProviderFailure> {
        let checked: ChangeMark?
        switch provider.changeCheck(since: previous?.mark) {
        case .failure(let failure): return .failure(failure)
        case .success(.unchanged) where previous != nil: return .success((retryingPoster(previous!), nil))
        case .success(.unchanged): checked = nil
        case .success(.changed(let mark)): checked = mark
        }
        let context = FetchContext(held: previous?.snapshot, heldMark: previous?.mark, checked: checked)
        switch provider.fetch(context) {
        case .failure(let failure):
            return .failure(failure)
        case .success(.notModified(let mark)):
            guard let previous else { return .failure(.malformed) }
            return .success((retryingPoster(previous.reverified(at: clock.now(), mark: mark)), nil))
        case .success(.updated(let snapshot, let mark, let retry, let incomplete)):
            let now = clock.now()
            // Same content: keep `cached_at`, so the body and its ETag stay stable across refreshes.
            let fetchedAt = previous.flatMap { $0.snapshot == snapshot ? $0.fetchedAt : nil } ?? now
            // A part missing (what plays now, one of two histories): served, but never as fresh.
            let result = CachedResult(
                provider: provider.kind, snapshot: snapshot, fetchedAt: fetchedAt, verifiedAt: now, stale: incomplete != nil,
                posterRetry: retry, mark: mark
            )
            return .success((result, incomplete))
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

    private func persist(_ result: PersistedResult) {
        var failure: RefreshError?
        do {
            try store.saveLastResult(result)
        } catch {
            failure = RefreshFailure(error).refreshError
            log.warning("could not persist the last good result: \(error)")
        }
        lock.withLock { _ = signal(scheduler.persisted(failure: failure)) }
    }

    /// Carries out the actions that wake threads (with the lock held) and returns the rest.
    private func signal(_ actions: [RefreshAction]) -> [RefreshAction] {
        actions.filter { action in
            switch action {
            case .startRefresh, .wakeWaiters:
                lock.broadcast()
                return false
            default:
                return true
            }
        }
    }

    private static func restore(from store: any TokenStore, provider: ProviderKind) -> (result: CachedResult, backoff: RefreshBackoff)? {
        do {
            // A result another provider fetched is not this deployment's answer.
            guard let persisted = try store.loadLastResult(), persisted.provider == provider else { return nil }
            return (persisted.cachedResult, persisted.backoff)
        } catch {
            Logger.shared.warning("ignoring the persisted last result: \(error)")
            return nil
        }
    }
}
