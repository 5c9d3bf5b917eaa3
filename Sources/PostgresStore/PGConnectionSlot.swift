import Threads

/// One PostgreSQL connection used by one kind of work (token operations, or background writes), with
/// its reconnect backoff. libpq forbids sharing a connection between threads: calls are serialised
/// here, each held for one operation under `operationDeadline`.
final class PGConnectionSlot: @unchecked Sendable {
    /// Rank `postgresConnection` in the lock order (`LockRank`): the local store's lock is never taken inside it.
    private let lock = ConditionLock(rank: .postgresConnection)
    private var connection: PGConnection?
    private var retryAt = 0.0
    private var retryDelay = PGConnectionSlot.minimumReconnectDelay

    static let minimumReconnectDelay = 1.0
    static let maximumReconnectDelay = 30.0
    /// libpq's own bound on connecting (TCP and authentication; its minimum is 2 s).
    static let connectTimeout = 3
    /// The longest one operation may wait on the database once connected. With `connectTimeout` a
    /// refresh never waits on the database for more than 20 s, unix sockets included.
    static let operationDeadline = 8.0

    private let conninfo: String
    /// Runs on every fresh connection before its first use (migrations, reconciling the local copy).
    private let prepare: (PGConnection) throws(PostgresError) -> Void

    init(conninfo: String, prepare: @escaping (PGConnection) throws(PostgresError) -> Void) {
        self.conninfo = conninfo
        self.prepare = prepare
    }

    /// Runs `body` on the connection, connecting first when needed. While the database is down,
    /// reconnects are spaced out with backoff; in between, calls fail at once.
    func with<T>(_ body: (PGConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = lock.withLock {
            let now = ConditionLock.monotonicNow()
            if connection?.isHealthy != true {
                connection = nil
                guard now >= retryAt else { return .failure(.unavailable("reconnect backoff")) }
                do throws(PostgresError) {
                    let fresh = try PGConnection(conninfo: conninfo, connectTimeout: Self.connectTimeout)
                    fresh.deadline = ConditionLock.monotonicNow() + Self.operationDeadline
                    try prepare(fresh)
                    connection = fresh
                    retryDelay = Self.minimumReconnectDelay
                } catch {
                    backOff(now)
                    return .failure(error)
                }
            }
            do throws(PostgresError) {
                connection!.deadline = ConditionLock.monotonicNow() + Self.operationDeadline
                return .success(try body(connection!))
            } catch {
                if error.isConnectionProblem {
                    connection = nil
                    backOff(now)
                }
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func backOff(_ now: Double) {
        retryAt = now + retryDelay
        retryDelay = min(retryDelay * 2, Self.maximumReconnectDelay)
    }
}
