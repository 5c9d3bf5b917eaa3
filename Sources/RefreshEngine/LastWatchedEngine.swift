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

    /// Starts the background refresh thread (the FastCGI server); CGI and `last` refresh inline instead.
    public func startRefreshThread() {
        PosixThread.spawn(name: "tw-refresh") { [self] in refreshLoop() }
    }

    /// Wakes every waiting request (they answer 503 at once) and stops the refresh thread.
    public func shutdown() {
        lock.withLock { _ = signal(scheduler.shutdown()) }
    }

    /// How long shutdown waits for that write: with the server's drain (1.5 s + 0.3 s) it stays under
    /// the 2 s promised on SIGTERM.
    public static let persistenceGrace = 0.15

    /// Lets a store write of the last good result that is under way finish, so a restart finds it.
    /// Bounded: an fsync, not an upstream call.
    public func waitForPersistence(timeout: Double = persistenceGrace) {
        lock.withLock { _ = lock.wait(until: { !scheduler.isPersisting }, timeout: timeout) }
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

    private func refreshLoop() {
        while true {
            let actions: [RefreshAction] = lock.withLock {
                lock.wait(until: { scheduler.refresherHasWork })
                return scheduler.begin()
            }
            guard case .fetch(let previous)? = actions.first else { return }
            refresh(from: previous)
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
