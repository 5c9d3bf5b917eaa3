import FoundationEssentials
import Logging
import Synchronization
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore

/// Tokens and the last good result in PostgreSQL (`DATABASE_URL`), shared by every responder on every
/// host. Refreshes take a transaction-level advisory lock, so exactly one process spends a refresh token.
///
/// A local store (the `FileTokenStore`, through `TokenStore` only) stands beside it: a rotated pair is written there, fsync'd, before the
/// database commit, so a failing database never loses it; when the database is unreachable the process
/// carries on from that file, and the newer `generation` is written back once the database returns.
public final class PostgresTokenStore: TokenStore, @unchecked Sendable {
    public let kind = "postgres"

    /// The one connection and its reconnect state, guarded by `lock` (libpq forbids sharing a
    /// connection between threads; the refresh thread is the only regular user). Rank
    /// `postgresConnection` in the lock order (`LockRank`): the local store's lock is taken inside it.
    private let lock = ConditionLock(rank: .postgresConnection)
    private var connection: PGConnection?
    private var retryAt = 0.0
    private var retryDelay = PostgresTokenStore.minimumReconnectDelay
    /// The local file may hold a newer pair than the database (after an outage or a failed commit):
    /// reconcile before the next use of the connection.
    private var needsReconcile = true

    static let minimumReconnectDelay = 1.0
    static let maximumReconnectDelay = 30.0
    static let connectTimeout = 3
    static let pingInterval = 2.0

    private let conninfo: String
    private let local: any TokenStore
    private let clock: WallClock
    private let log = Logger.shared
    private let lastPing = Mutex<(at: Double, reachable: Bool)?>(nil)

    public init(conninfo: String, local: any TokenStore, clock: WallClock = .system) {
        self.conninfo = conninfo
        self.local = local
        self.clock = clock
        // Connect and migrate now when possible; a database down at start is not fatal.
        do {
            try withConnection { _ throws(PostgresError) in }
        } catch {
            log.warning("PostgreSQL is unreachable at start (\(error)); serving from the local state file until it returns")
        }
    }

    // MARK: TokenStore

    public func loadTokens() throws(StoreError) -> TokenRecord {
        let fallback = try? local.loadTokens()
        do {
            return try withConnection { connection throws(PostgresError) in
                try Self.readTokens(connection, forUpdate: false)
            }
        } catch {
            // Never fall back to "nothing stored": that would let an environment token be spent.
            guard let fallback, fallback.pair != nil else { throw StoreError("read tokens", cause: error) }
            return fallback
        }
    }

    public func rotate(_ decide: (TokenRecord) -> RotationDecision) throws(StoreError) -> (RotationDecision, TokenRecord) {
        do {
            return try withConnection { connection throws(PostgresError) in
                try rotate(on: connection, decide)
            }
        } catch let error where error.isConnectionProblem {
            // The database is down: serialise on this host through the file lock and keep serving. The
            // pair lands in the local file and is written back by generation when the database returns.
            log.warning("PostgreSQL unavailable during a token refresh (\(error)); using the local state file")
            lock.withLock { needsReconcile = true }
            return try local.rotate { record in decide(Self.newer(record, than: nil)) }
        } catch {
            throw StoreError("rotate tokens", cause: error)
        }
    }

    public func saveTokens(_ pair: TokenPair) throws(StoreError) {
        do {
            try withConnection { connection throws(PostgresError) in
                try connection.lockedTransaction(lockKey: SchemaMigrations.refreshLockKey, operation: "save tokens") { () throws(PostgresError) in
                    let stored = try Self.readTokens(connection, forUpdate: true)
                    let localRecord = try? local.loadTokens()
                    var next = pair
                    next.generation = max(Self.generation(stored), localRecord.map(Self.generation) ?? 0) + 1
                    // The local store keeps this generation: it is above anything stored there.
                    try? local.saveTokens(next)
                    try Self.writeTokens(TokenRecord(pair: next, everHeld: true, rejected: false), connection)
                }
            }
        } catch {
            throw StoreError("save tokens", cause: error)
        }
    }

    public func clearTokens() throws(StoreError) {
        do {
            try withConnection { connection throws(PostgresError) in
                try Self.writeTokens(TokenRecord(pair: nil, everHeld: true, rejected: false), connection)
            }
        } catch {
            throw StoreError("clear tokens", cause: error)
        }
        try local.clearTokens()
    }

    public func loadLastResult() throws(StoreError) -> PersistedResult? {
        let fallback = try? local.loadLastResult()
        let stored: PersistedResult? = try? withConnection { connection throws(PostgresError) in
            let result = try connection.execute("SELECT payload::text FROM trakt_widget_last_result WHERE id = 1", operation: "read last result")
            guard result.rowCount == 1, let text = result.text(0, 0) else { return nil }
            return try? JSONDecoder().decode(PersistedResult.self, from: Data(text.utf8))
        }
        switch (stored, fallback) {
        case (let a?, let b?): return a.verifiedAt >= b.verifiedAt ? a : b
        case (let a?, nil): return a
        case (nil, let b): return b
        }
    }

    public func saveLastResult(_ result: PersistedResult) throws(StoreError) {
        // Locally first: a restart during a database outage still has it.
        try local.saveLastResult(result)
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        } catch {
            throw StoreError("encode last result", cause: error)
        }
        do {
            try withConnection { connection throws(PostgresError) in
                _ = try connection.execute(
                    """
                    INSERT INTO trakt_widget_last_result (id, payload, updated_at) VALUES (1, $1::jsonb, now())
                    ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, updated_at = now()
                    """,
                    [json], operation: "write last result"
                )
            }
        } catch {
            throw StoreError("write last result", cause: error)
        }
    }

    /// Health may be polled often; one ping every few seconds is enough to tell.
    public func isReachable() -> Bool {
        let now = clock.now()
        if let cached = lastPing.withLock({ $0 }), now - cached.at < Self.pingInterval { return cached.reachable }
        let reachable = PGConnection.ping(conninfo: conninfo, connectTimeout: Self.connectTimeout)
        lastPing.withLock { $0 = (now, reachable) }
        return reachable
    }

    // MARK: Rotation

    private func rotate(on connection: PGConnection, _ decide: (TokenRecord) -> RotationDecision) throws(PostgresError) -> (RotationDecision, TokenRecord) {
        // Trakt has already spent the old token once it issues a pair: that outcome must survive a
        // failing write or commit, so it is kept outside the transaction.
        var rotated: (RotationDecision, TokenRecord)?
        do {
            // The lock is held until COMMIT: every other process waits here, then re-reads the rotated pair.
            return try connection.lockedTransaction(lockKey: SchemaMigrations.refreshLockKey, operation: "refresh") { () throws(PostgresError) in
                var record = Self.newer(try? local.loadTokens(), than: try Self.readTokens(connection, forUpdate: true))
                let decision = decide(record)
                switch decision {
                case .replace(let pair):
                    record = TokenRecord(pair: pair, everHeld: true, rejected: false)
                    rotated = (decision, record)
                    // Durable locally before the commit: if the commit fails, the pair is not lost.
                    // The pair's generation is above the local one, so the local store keeps it as is.
                    do {
                        try local.saveTokens(pair)
                    } catch {
                        log.error("could not write the rotated token to the local state file: \(error)")
                    }
                    try Self.writeTokens(record, connection)
                case .rejected:
                    record.rejected = true
                    try Self.writeTokens(record, connection)
                case .adopt, .keep:
                    break
                }
                return (decision, record)
            }
        } catch {
            guard let rotated else { throw error }
            needsReconcile = true
            log.error("PostgreSQL did not commit the rotated token (\(error)); it is in the local state file and will be written back")
            return rotated
        }
    }

    // MARK: Connection

    /// Runs `body` on the connection, connecting (and migrating) first when needed. While the database
    /// is down, reconnects are spaced out with backoff; in between, calls fail at once.
    private func withConnection<T>(_ body: (PGConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = lock.withLock {
            if connection?.isHealthy != true {
                connection = nil
                let now = clock.now()
                guard now >= retryAt else { return .failure(.unavailable("reconnect backoff")) }
                do throws(PostgresError) {
                    let fresh = try PGConnection(conninfo: conninfo, connectTimeout: Self.connectTimeout)
                    try SchemaMigrations.apply(on: fresh)
                    connection = fresh
                    retryDelay = Self.minimumReconnectDelay
                    needsReconcile = true
                    log.info("connected to PostgreSQL")
                } catch {
                    retryAt = now + retryDelay
                    retryDelay = min(retryDelay * 2, Self.maximumReconnectDelay)
                    return .failure(error)
                }
            }
            do throws(PostgresError) {
                if needsReconcile {
                    try reconcile(connection!)
                    needsReconcile = false
                }
                return .success(try body(connection!))
            } catch {
                if error.isConnectionProblem { connection = nil }
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes the local pair back when its generation is higher than the database's, under the same
    /// advisory lock as a refresh, so a rotation committed meanwhile by another host is never overwritten.
    private func reconcile(_ connection: PGConnection) throws(PostgresError) {
        guard let localRecord = try? local.loadTokens(), localRecord.pair != nil else { return }
        let wroteBack = try connection.lockedTransaction(lockKey: SchemaMigrations.refreshLockKey, operation: "reconcile") { () throws(PostgresError) in
            let stored = try Self.readTokens(connection, forUpdate: true)
            guard Self.generation(localRecord) > Self.generation(stored) else { return false }
            try Self.writeTokens(localRecord, connection)
            return true
        }
        if wroteBack {
            log.info("wrote the newer local token (generation \(Self.generation(localRecord))) back to PostgreSQL")
        }
    }

    // MARK: Rows

    private static func readTokens(_ connection: PGConnection, forUpdate: Bool) throws(PostgresError) -> TokenRecord {
        let result = try connection.execute(
            """
            SELECT access_token, refresh_token, extract(epoch FROM expires_at)::float8,
                   extract(epoch FROM updated_at)::float8, generation, ever_held, rejected
            FROM trakt_widget_tokens WHERE id = 1\(forUpdate ? " FOR UPDATE" : "")
            """,
            operation: "read tokens"
        )
        guard result.rowCount == 1 else { return TokenRecord() }
        let everHeld = result.text(0, 5) == "t"
        let rejected = result.text(0, 6) == "t"
        guard let refresh = result.text(0, 1) else { return TokenRecord(pair: nil, everHeld: everHeld, rejected: false) }
        let pair = TokenPair(
            accessToken: result.text(0, 0), refreshToken: refresh,
            expiresAt: result.text(0, 2).flatMap(Double.init),
            rotatedAt: result.text(0, 3).flatMap(Double.init) ?? 0,
            generation: result.text(0, 4).flatMap(Int.init) ?? 0
        )
        return TokenRecord(pair: pair, everHeld: everHeld, rejected: rejected)
    }

    private static func writeTokens(_ record: TokenRecord, _ connection: PGConnection) throws(PostgresError) {
        let pair = record.pair
        try connection.execute(
            """
            INSERT INTO trakt_widget_tokens (id, access_token, refresh_token, expires_at, updated_at, generation, ever_held, rejected)
            VALUES (1, $1, $2, to_timestamp($3::float8), to_timestamp($4::float8), $5::bigint, $6::boolean, $7::boolean)
            ON CONFLICT (id) DO UPDATE SET
                access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                expires_at = excluded.expires_at, updated_at = excluded.updated_at,
                generation = excluded.generation, ever_held = excluded.ever_held, rejected = excluded.rejected
            """,
            [
                pair?.accessToken, pair?.refreshToken, pair?.expiresAt.map { String($0) },
                String(pair?.rotatedAt ?? 0), String(pair?.generation ?? 0),
                record.everHeld ? "true" : "false", record.rejected ? "true" : "false",
            ],
            operation: "write tokens"
        )
    }

    private static func generation(_ record: TokenRecord) -> Int {
        record.pair?.generation ?? 0
    }

    /// The record with the higher generation; the database's on a tie, since it is the shared truth.
    private static func newer(_ candidate: TokenRecord?, than stored: TokenRecord?) -> TokenRecord {
        guard let candidate else { return stored ?? TokenRecord() }
        guard let stored else { return candidate }
        return generation(candidate) > generation(stored) ? candidate : stored
    }
}
