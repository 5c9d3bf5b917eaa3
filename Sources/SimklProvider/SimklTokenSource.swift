import Logging
import RefreshEngine
import Synchronization
import SystemCalls
import TokenStorage
import TraktWidgetCore

/// Simkl's access token, which never expires and never rotates, kept in the configured store (file or
/// PostgreSQL) in the token pair's access slot. `SIMKL_ACCESS_TOKEN` from the environment is only a
/// bootstrap, stored into a store that never held a token, as Trakt's is.
public final class SimklTokenSource: Sendable {
    private struct State {
        var token: String?
        /// The token Simkl answered 401 to: not sent again until `auth` stores another.
        var rejected: String?
    }

    private let store: any TokenStore
    private let clock: WallClock
    private let state = Mutex(State())

    public init(store: any TokenStore, clock: WallClock) {
        self.store = store
        self.clock = clock
    }

    /// Loads the stored token, first storing the environment's when no store ever held one. Never
    /// after a read error: a read error says nothing about what the store holds.
    public func bootstrap(environmentToken: String?) throws(StoreError) {
        var record = try store.loadTokens()
        if !record.everHeld, let environmentToken {
            try store.saveTokens(Self.pair(environmentToken, at: clock.now()))
            record = try store.loadTokens()
            Logger.shared.info("stored the bootstrap Simkl token from the environment")
        }
        adopt(record)
    }

    /// The token to send. After a 401 (or with none held) the store is read again, so a new
    /// `trakt-widget auth --provider simkl` is picked up without a restart.
    public func current() -> Result<String, ProviderFailure> {
        if let token = state.withLock({ $0.token != $0.rejected ? $0.token : nil }) { return .success(token) }
        do {
            adopt(try store.loadTokens())
        } catch {
            return .failure(.unavailable(code: ProviderFailure.storeErrorCode))
        }
        return state.withLock { $0.token != nil && $0.token != $0.rejected ? .success($0.token!) : .failure(.reauthRequired) }
    }

    /// Simkl answered 401 to `token`: the user revoked the app.
    public func rejected(_ token: String) {
        state.withLock { $0.rejected = token }
        Logger.shared.error("Simkl rejected the access token (401); run `trakt-widget auth --provider simkl`")
    }

    /// What health and `check` print: `valid`, `reauth_required` or `missing`.
    public var phase: TokenPhase {
        state.withLock { state in
            guard let token = state.token else { return .missing }
            return token == state.rejected ? .reauthRequired : .valid
        }
    }

    /// The pair shape the store keeps: the access token alone; Simkl has no refresh token.
    public static func pair(_ token: String, at time: Double) -> TokenPair {
        TokenPair(accessToken: token, refreshToken: "", expiresAt: nil, rotatedAt: time, generation: 1)
    }

    private func adopt(_ record: TokenRecord) {
        let token = record.pair?.accessToken.flatMap { $0.isEmpty ? nil : $0 }
        Logger.shared.addSecret(token)
        state.withLock { $0.token = token }
    }
}

extension AuthStatus {
    public static func simkl(_ tokens: SimklTokenSource) -> AuthStatus {
        AuthStatus(mode: .oauth, phase: { tokens.phase })
    }
}
