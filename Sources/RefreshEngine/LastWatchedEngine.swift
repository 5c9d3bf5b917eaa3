import Logging
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore

/// The in-process cache in front of Trakt: answers from memory, refreshes in the background one fetch
/// at a time, and backs off when upstream fails. Requests never call upstream themselves.
///
/// Every decision is `RefreshScheduler`'s; this class feeds it events and carries out its actions:
/// waking threads, fetching, writing the result to the store.
public final class LastWatchedEngine: LastWatchedSource, @unchecked Sendable {
    /// Guards `scheduler`. Rank `engineState` (`LockRank`): never held across a fetch or a store call.
    private let lock = ConditionLock(rank: .engineState)
    private var scheduler: RefreshScheduler
    /// What the refresh thread is doing, for the watchdog; guarded by `lock` too.
    private var refreshActivity = RefreshActivity.stopped

    private let fetcher: LastWatchedFetcher
    private let store: any TokenStore
    private let tokens: TokenManager?
    private let clock: WallClock
    /// The longest a cold request waits for the first fetch before it is told to come back later.
    private let coldWait: Double
    private let log = Logger.shared

    public init(
        policy: CachePolicy, fetcher: LastWatchedFetcher, store: any TokenStore, tokens: TokenManager?,
        clock: WallClock, coldWait: Double
    ) {
        self.fetcher = fetcher
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.coldWait = coldWait
        scheduler = RefreshScheduler(policy: policy, restored: Self.restore(from: store))
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
                return .failure(reauthRequired ? .reauthRequired(retryAfter: retryAfter) : .upstreamUnavailable(retryAfter: retryAfter))
            default:
                preconditionFailure("the scheduler answers every request: \(actions)")
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
            let cached = scheduler.cached
            let canServe = cached != nil || (!scheduler.backoff.isFailing && tokenPhase != .reauthRequired && tokenPhase != .missing)
            return HealthReport(
                canServe: canServe,
                mode: tokens == nil ? .public : .oauth,
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
                tokenPersisted: persisted
            )
        }
    }

    // MARK: Refreshing

    /// Refreshes on the calling thread when the cache is missing or expired and no backoff forbids it
    /// (CGI, one request per process). `force` ignores freshness and backoff (`trakt-widget last`).
    @discardableResult
    public func refreshInline(force: Bool = false) -> RefreshFailure? {
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
    private func refresh(from previous: CachedResult?) -> RefreshFailure? {
        let outcome = fetcher.fetch(previous: previous)
        let now = clock.now()
        let actions = lock.withLock { signal(scheduler.land(outcome.landing, now: now)) }
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
        return outcome.failure
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

    private static func restore(from store: any TokenStore) -> (result: CachedResult, backoff: RefreshBackoff)? {
        do {
            guard let persisted = try store.loadLastResult() else { return nil }
            return (persisted.cachedResult, persisted.backoff)
        } catch {
            Logger.shared.warning("ignoring the persisted last result: \(error)")
            return nil
        }
    }
}
