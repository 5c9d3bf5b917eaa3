import TraktWidgetCore

/// Where the token pair and the last good result live: a local file by default, PostgreSQL when
/// `DATABASE_URL` is set. Implementations must be safe across threads and across processes.
///
/// A store only reads, locks and writes. It never calls Trakt: a rotation is the token manager's
/// straight line of `lockRotation`, `read`, the Trakt call, `write`, `release`.
///
/// Lock order (outermost first), the same in every process: the token manager's refresh gate, then
/// the store's rotation lock (PostgreSQL's session advisory lock, or the state directory's `flock`),
/// then a store's internal mutexes, each held only for one call. Nothing takes them the other way.
public protocol TokenStore: Sendable {
    /// `file` or `postgres`, for health and `check`.
    var kind: String { get }
    /// Where a written pair lands, in words for `auth` and `check`.
    var location: String { get }

    func loadTokens() throws(StoreError) -> TokenRecord

    /// Takes the lock every process sharing this store takes before spending a refresh token, and holds
    /// it until `release`. Bounded: it fails rather than wait on an unreachable database for long.
    /// `lastResort` lets a store whose shared part is unreachable lock and read its local copy instead.
    func lockRotation(lastResort: Bool) throws(StoreError) -> any RotationLock

    /// Writes a rotated pair, unless the store already holds its generation or a newer one: a retried
    /// write never overwrites what another process rotated meanwhile.
    func saveRotated(_ pair: TokenPair) throws(StoreError)

    /// Remembers, on this host only, that Trakt answered `invalid_grant` to this refresh token. Other
    /// hosts keep trying the shared pair: a wrong `TRAKT_REDIRECT_URI` here proves nothing about it.
    func markRejected(refreshToken: String)

    /// Stores a pair from `trakt-widget auth` (with the next generation) and clears any rejection.
    /// Returns where the pair went when the shared part was unreachable (nil when it all landed).
    func saveTokens(_ pair: TokenPair) throws(StoreError) -> String?

    /// Forgets the pair (`trakt-widget auth --revoke`), but remembers that one was held.
    func clearTokens() throws(StoreError)

    func loadLastResult() throws(StoreError) -> PersistedResult?
    /// Never waits on a database: what cannot be written at once is written in the background.
    func saveLastResult(_ result: PersistedResult) throws(StoreError)

    /// The last known reachability. Only reads a value: it is computed off the request threads.
    var isReachable: Bool { get }

    /// The store's own words for its last connection problem (libpq's message, password redacted), for
    /// `check`; nil when there is none to tell.
    var lastProblem: String? { get }
}

/// The cross-process rotation lock, held from `lockRotation` until `release`.
public protocol RotationLock: AnyObject {
    /// What the store holds now, under the lock.
    func read() throws(StoreError) -> TokenRecord
    /// Writes the rotated pair under the lock; throws when the store's shared part did not get it.
    func write(_ pair: TokenPair) throws(StoreError)
    func release()
}
