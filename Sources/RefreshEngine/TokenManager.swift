import Logging
import Synchronization
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore
import UpstreamClients

/// Owns the OAuth token lifecycle of the process: hands out access tokens, refreshes them single-flight
/// within the process and under the store's lock across processes, and never uses a rotated pair
/// before the store has made it durable.
public final class TokenManager: Sendable {
    private let store: any TokenStore
    private let oauth: OAuthClient
    private let clock: WallClock
    private let lifecycle: Mutex<TokenLifecycle>
    /// Serialises refreshes within the process; the store's lock serialises them across processes.
    /// Rank `refreshGate` in the lock order (`LockRank`): the store's locks are taken inside it.
    private let refreshGate = Mutex(())
    private let log = Logger.shared
    /// The environment's bootstrap pair, kept in case the store was unreadable at start.
    private let environmentPair = Mutex<(refresh: String, access: String?)?>(nil)

    public init(store: any TokenStore, oauth: OAuthClient, clock: WallClock) {
        self.store = store
        self.oauth = oauth
        self.clock = clock
        self.lifecycle = Mutex(TokenLifecycle())
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
        try store.saveTokens(TokenPair(
            accessToken: bootstrap.access, refreshToken: bootstrap.refresh, expiresAt: nil,
            rotatedAt: clock.now(), generation: 1
        ))
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
                // `trakt-widget auth` may have stored a new pair since; recover without a restart.
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

    private func refresh() -> Result<String, RefreshFailure> {
        let known = lifecycle.withLock { lifecycle in
            lifecycle.beginRefresh()
            return lifecycle.pair
        }
        let now = clock.now()
        let outcome: (RotationDecision, TokenRecord)
        // Why Trakt refused a refresh stays here: the store only learns whether to write.
        var refreshFailure: UpstreamFailure?
        do {
            outcome = try store.rotate { stored in
                guard let current = stored.pair, !stored.rejected else { return .rejected }
                // Re-read under the lock: if another process rotated since we loaded, use its pair.
                if current.generation > (known?.generation ?? 0),
                   case .use = TokenLifecycle(pair: current).action(now: now) {
                    return .adopt
                }
                return rotate(current, now: now, failure: &refreshFailure)
            }
        } catch {
            lifecycle.withLock { $0.refreshFailedTransiently() }
            log.error("token store failed during refresh: \(error)")
            return .failure(RefreshFailure(error))
        }
        let (decision, record) = outcome
        switch decision {
        case .adopt, .replace:
            adopt(record)
            if case .replace = decision { log.info("rotated the Trakt token (generation \(record.pair?.generation ?? 0))") }
            if case .adopt = decision { log.info("adopted a token another process rotated (generation \(record.pair?.generation ?? 0))") }
            return lifecycle.withLock { lifecycle in
                if case .use(let token) = lifecycle.action(now: clock.now()) { return .success(token) }
                return .failure(.upstream(.reauthRequired))
            }
        case .rejected:
            lifecycle.withLock { $0.refreshRejected() }
            log.error("Trakt rejected the refresh token (invalid_grant); run `trakt-widget auth` to authorize again")
            return .failure(.upstream(.reauthRequired))
        case .keep:
            let failure = refreshFailure ?? .malformed
            lifecycle.withLock { $0.refreshFailedTransiently() }
            log.warning("token refresh failed: \(failure.code)")
            return .failure(.upstream(failure))
        }
    }

    /// One refresh at Trakt. Runs inside the store's lock.
    private func rotate(_ current: TokenPair, now: Double, failure: inout UpstreamFailure?) -> RotationDecision {
        switch oauth.refresh(current.refreshToken) {
        case .success(let grant):
            log.addSecret(grant.accessToken)
            log.addSecret(grant.refreshToken)
            return .replace(TokenPair(
                accessToken: grant.accessToken, refreshToken: grant.refreshToken,
                expiresAt: grant.expiresAt(receivedAt: now), rotatedAt: now, generation: current.generation + 1
            ))
        case .failure(.reauthRequired):
            return .rejected
        case .failure(let reason):
            failure = reason
            return .keep
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
                lifecycle = TokenLifecycle()
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
