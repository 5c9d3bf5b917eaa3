import TraktWidgetCore

/// Where the token pair and the last good result live: a local file by default, PostgreSQL when
/// `DATABASE_URL` is set. Implementations must be safe across threads and across processes.
public protocol TokenStore: Sendable {
    /// `file` or `postgres`, for health and `check`.
    var kind: String { get }

    func loadTokens() throws(StoreError) -> TokenRecord

    /// Holds an exclusive lock shared by every process using this store, re-reads the pair, and lets
    /// `decide` act on what is stored *now*. A `.replace` is durable before this returns; only then may
    /// the caller use the new access token. Returns the pair that is current afterwards.
    func rotate(_ decide: (TokenRecord) -> RotationDecision) throws(StoreError) -> (RotationDecision, TokenRecord)

    /// Stores a pair from `trakt-widget auth` (with the next generation) and clears any rejection.
    func saveTokens(_ pair: TokenPair) throws(StoreError)

    /// Forgets the pair (`trakt-widget auth --revoke`), but remembers that one was held.
    func clearTokens() throws(StoreError)

    func loadLastResult() throws(StoreError) -> PersistedResult?
    func saveLastResult(_ result: PersistedResult) throws(StoreError)

    /// Cheap reachability check for health; never calls upstream.
    func isReachable() -> Bool
}
