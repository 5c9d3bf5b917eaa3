import Logging
import Synchronization
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore
import UpstreamClients

/// Owns the OAuth token lifecycle of the process: hands out access tokens, and refreshes them
/// single-flight within the process and under the store's lock across processes.
///
/// The refresh path is one straight line: lock the store, read what it holds, call Trakt, adopt the
/// answer, write it, release. A pair Trakt issued is this manager's from the moment Trakt answers (the
/// old refresh token is spent): it is used from memory at once, and writing it is a side effect that is
/// retried until a store takes it.
public final class TokenManager: Sendable {
    private let store: any TokenStore
    private let oauth: OAuthClient
    private let clock: WallClock
    private let lifecycle = SharedLifecycle()
    /// Serialises refreshes within the process; the store's rotation lock serialises them across
    /// processes. Rank `refreshGate` in the lock order (`LockRank`): the store's locks are taken inside it.
    private let refreshGate = Mutex(())
    private let log = Logger.shared
    /// The environment's bootstrap pair, kept in case the store was unreadable at start.
    private let environmentPair = Mutex<(refresh: String, access: String?)?>(nil)
    /// The refresh token of a refresh whose answer was lost after the request went out: Trakt may have
    /// spent it. Kept to explain the `invalid_grant` that follows if it did.
    private let maybeSpent = Mutex<String?>(nil)
    private let persistence: PersistenceRetry
    /// When the last "not rotating while cut off" line was logged, so a busy host logs it once a minute.
    private let isolationLoggedAt = Mutex(-Double.infinity)

    public init(store: any TokenStore, oauth: OAuthClient, clock: WallClock) {
        self.store = store
        self.oauth = oauth
        self.clock = clock
        self.persistence = PersistenceRetry(store: store, lifecycle: lifecycle)
    }

    /// Loads the stored pair. The environment's token is stored only when no store ever held one, and
    /// never after a read error: a read error says nothing about what the store holds.
    public func bootstrap(environmentRefreshToken: String?, environmentAccessToken: String?) throws(StoreError) {
        if let refreshToken = environmentRefreshToken {
            environmentPair.withLock { $0 = (refreshToken, environmentAccessToken) }
        }
        adopt(try storingEnvironmentPairIfNeverHeld(try store.loadTokens()))
    }

    /// The environment's pair is stored only into a store that was read and has never held a token.
    private func storingEnvironmentPairIfNeverHeld(_ record: TokenRecord) throws(StoreError) -> TokenRecord {
        guard !record.everHeld, let bootstrap = environmentPair.withLock({ $0 }) else { return record }
        let pair = TokenPair(
            accessToken: bootstrap.access, refreshToken: bootstrap.refresh, expiresAt: nil,
            rotatedAt: clock.now(), generation: 1
        )
        do {
            _ = try store.saveTokens(pair)
        } catch {
            // The store was read and never held a token: the environment's is the one to use, from
            // memory until a rotated pair can be written.
            log.error("could not store the bootstrap token from the environment (\(error)); using it from memory")
            return TokenRecord(pair: pair, everHeld: false, rejected: false)
        }
        let stored = try store.loadTokens()
        log.info("stored the bootstrap token from the environment (generation \(stored.pair?.generation ?? 0))")
        return stored
    }

    public var phase: TokenPhase {
        lifecycle.withLock { $0.phase(now: clock.now()) }
    }

    public var pair: TokenPair? {
        lifecycle.withLock { $0.pair }
    }

    /// False while a rotated pair is in use that no store has written yet: a restart now would lose it.
    public var persisted: Bool {
        lifecycle.withLock { $0.persisted }
    }

    /// At stop, when the drain begins: one last write of a rotated pair no store has taken yet, on a
    /// thread of its own. `finish()` it before exiting.
    public func beginLastWrite() -> LastWrite {
        LastWrite(persistence: persistence, lifecycle: lifecycle, location: store.location)
    }

    /// An access token that Trakt should accept, refreshing first when due.
    public func accessToken() -> Result<String, RefreshFailure> {
        if case .use(let token) = lifecycle.withLock({ $0.action(now: clock.now()) }) {
            return .success(token)
        }
        return LockRank.refreshGate.held { refreshGate.withLock { _ in
            // Another thread may have refreshed while this one waited at the gate.
            switch lifecycle.withLock({ $0.action(now: clock.now()) }) {
            case .use(let token):
                return .success(token)
            case .reauthRequired:
                // `trakt-widget auth` or another host may have stored a new pair since; recover without a restart.
                return reloadAfterReauth()
            case .refresh:
                return refresh()
            }
        } }
    }

    /// Trakt answered 401 to this access token: refresh before the next call.
    public func accessTokenRejected() {
        lifecycle.withLock { $0.accessTokenRejected() }
    }

    // MARK: The refresh path

    private func refresh() -> Result<String, RefreshFailure> {
        lifecycle.withLock { $0.beginRefresh() }
        // 1. Lock: every process sharing the store waits here.
        let lock: any RotationLock
        switch lockStore() {
        case .success(let taken): lock = taken
        case .failure(.use(let token)): return endRefresh(.success(token))
        case .failure(.failed(let failure)): return endRefresh(.failure(failure))
        }
        // 2. Read: another process may have rotated while this one waited.
        let record: TokenRecord
        do {
            record = try lock.read()
        } catch {
            lock.release()
            log.error("token store failed during refresh: \(error)")
            return endRefresh(.failure(RefreshFailure(error)))
        }
        if let decided = adoptIfRotatedElsewhere(record) {
            lock.release()
            return decided
        }
        guard let current = lifecycle.withLock({ $0.pair }) else {
            lock.release()
            return endRefresh(.failure(.upstream(.reauthRequired)))
        }
        // 3. Trakt, with the lock held: the refresh token is single-use.
        let requestedAt = clock.now()
        let answer = oauth.refresh(current.refreshToken)
        switch answer {
        case .success(let grant):
            let rotated = TokenPair(
                accessToken: grant.accessToken, refreshToken: grant.refreshToken,
                expiresAt: grant.expiresAt(requestedAt: requestedAt), rotatedAt: requestedAt,
                generation: current.generation + 1
            )
            log.addSecret(grant.accessToken)
            log.addSecret(grant.refreshToken)
            maybeSpent.withLock { $0 = nil }
            // 4. Adopt: from here on this pair is the only one left.
            lifecycle.withLock { $0.rotated(rotated) }
            log.info("rotated the Trakt token (generation \(rotated.generation), expires in \(Int(saturating: grant.expiresIn)) s)")
            // 5. Write, as a side effect.
            do {
                try lock.write(rotated)
                lifecycle.withLock { $0.persisted(generation: rotated.generation) }
            } catch {
                log.error("could not persist the rotated token: \(error); using it from memory and retrying every \(Int(PersistenceRetry.interval)) s (a restart before a write lands loses it)")
                persistence.start()
            }
            lock.release()
            return lifecycle.withLock { lifecycle in
                if case .use(let token) = lifecycle.action(now: clock.now()) { return .success(token) }
                return .failure(.upstream(.malformed))
            }
        case .failure(.reauthRequired):
            lock.release()
            explainRejection(of: current.refreshToken)
            lifecycle.withLock { $0.refreshRejected() }
            store.markRejected(refreshToken: current.refreshToken)
            return .failure(.upstream(.reauthRequired))
        case .failure(let failure):
            lock.release()
            if Self.answerMayBeLost(failure) {
                maybeSpent.withLock { $0 = current.refreshToken }
                log.error("the token refresh was sent but its answer was lost (\(failure.code)): the token may have been spent at Trakt; the next attempt tells")
            } else {
                log.warning("token refresh failed: \(failure.code)")
            }
            return endRefresh(.failure(.upstream(failure)))
        }
    }

    private enum LockRefusal: Error {
        /// Cut off from the shared store with plenty of time left: keep using this access token.
        case use(String)
        case failed(RefreshFailure)
    }

    /// Takes the store's rotation lock. A host cut off from the shared store does not rotate while its
    /// access token has more than `TokenLifecycle.isolatedRotationFloor` left (another host may be
    /// rotating the same pair); past that, it rotates from its local copy as a last resort.
    private func lockStore() -> Result<any RotationLock, LockRefusal> {
        do {
            return .success(try store.lockRotation(lastResort: false))
        } catch where error.unreachable {
            if let token = lifecycle.withLock({ $0.isolatedAccessToken(now: clock.now()) }) {
                logIsolation(error)
                return .failure(.use(token))
            }
            do {
                return .success(try store.lockRotation(lastResort: true))
            } catch {
                log.error("token store failed during refresh: \(error)")
                return .failure(.failed(RefreshFailure(error)))
            }
        } catch {
            log.error("token store failed during refresh: \(error)")
            return .failure(.failed(RefreshFailure(error)))
        }
    }

    private func logIsolation(_ error: StoreError) {
        let now = clock.now()
        let due = isolationLoggedAt.withLock { last in
            guard now - last >= 60 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let left = lifecycle.withLock { $0.pair?.expiresAt }.map { Int(saturating: ($0 - now) / 3_600) } ?? 0
        log.warning("not rotating the due token: the shared store is unreachable (\(error)) and the access token has \(left) h left; another host may be rotating it")
    }

    /// Under the lock: adopts a pair another process rotated (or `auth` wrote) and returns its token,
    /// or nil when this process must rotate.
    private func adoptIfRotatedElsewhere(_ record: TokenRecord) -> Result<String, RefreshFailure>? {
        guard let stored = record.pair else { return nil }
        let (known, accessRejected) = lifecycle.withLock { ($0.pair, $0.accessRejected) }
        let storedIsNewer: Bool
        if let known, stored.generation == known.generation {
            // One generation seen two ways (a stale local copy beside the shared row): the store's view
            // wins when it holds another pair or a later rotation time.
            storedIsNewer = stored.refreshToken != known.refreshToken || stored.rotatedAt > known.rotatedAt
        } else {
            storedIsNewer = stored.generation > (known?.generation ?? 0)
        }
        guard storedIsNewer else { return nil }
        guard !(accessRejected && stored.accessToken == known?.accessToken) else { return nil }
        adopt(record)
        guard case .use(let token) = lifecycle.withLock({ $0.action(now: clock.now()) }) else {
            lifecycle.withLock { $0.beginRefresh() }
            return nil
        }
        log.info("adopted a token another process rotated (generation \(stored.generation))")
        return .success(token)
    }

    private func endRefresh(_ result: Result<String, RefreshFailure>) -> Result<String, RefreshFailure> {
        lifecycle.withLock { $0.refreshFailedTransiently() }
        return result
    }

    /// A refresh that failed after the request may have reached Trakt: a timeout, a dropped connection,
    /// or a 2xx whose body held no usable refresh token.
    private static func answerMayBeLost(_ failure: UpstreamFailure) -> Bool {
        switch failure {
        case .transport(.timedOut), .transport(.failed), .malformed: true
        default: false
        }
    }

    private func explainRejection(of refreshToken: String) {
        if maybeSpent.withLock({ $0 }) == refreshToken {
            log.error("Trakt rejected the refresh token (invalid_grant). An earlier refresh answer was lost after it was sent, so Trakt most likely spent the token then and the new pair never arrived. Run `trakt-widget auth` to authorize again")
        } else {
            log.error("Trakt rejected the refresh token (invalid_grant); marked rejected on this host only (other hosts keep trying the shared pair). If the others work, check this host's TRAKT_REDIRECT_URI; otherwise run `trakt-widget auth`")
        }
    }

    private func reloadAfterReauth() -> Result<String, RefreshFailure> {
        let record: TokenRecord
        do {
            // A store unreadable at start may be readable now, and may never have held a token.
            record = try storingEnvironmentPairIfNeverHeld(try store.loadTokens())
        } catch {
            // The store is down, which says nothing about the token: not a re-auth.
            return .failure(RefreshFailure(error))
        }
        let current = lifecycle.withLock { $0.pair }
        guard let pair = record.pair, !record.rejected,
              pair.generation > (current?.generation ?? 0) || pair.refreshToken != current?.refreshToken
        else { return .failure(.upstream(.reauthRequired)) }
        adopt(record)
        log.info("picked up a newly authorized token (generation \(pair.generation))")
        switch lifecycle.withLock({ $0.action(now: clock.now()) }) {
        case .use(let token): return .success(token)
        case .refresh: return refresh()
        case .reauthRequired: return .failure(.upstream(.reauthRequired))
        }
    }

    private func adopt(_ record: TokenRecord) {
        log.addSecret(record.pair?.accessToken)
        log.addSecret(record.pair?.refreshToken)
        lifecycle.withLock { lifecycle in
            guard let pair = record.pair else {
                if lifecycle.persisted { lifecycle = TokenLifecycle() }
                return
            }
            if record.rejected {
                lifecycle = TokenLifecycle(pair: pair, rejectedRefreshToken: pair.refreshToken)
            } else {
                lifecycle.adopt(pair)
            }
        }
    }
}
