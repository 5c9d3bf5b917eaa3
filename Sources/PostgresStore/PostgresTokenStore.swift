import FoundationEssentials
import Logging
import Synchronization
import Threads
import TokenStorage
import TraktWidgetCore

/// Tokens and the last good result in PostgreSQL (`DATABASE_URL`), shared by every responder on every
/// host. A rotation holds a session advisory lock, so exactly one process spends a refresh token.
///
/// A local store (the `FileTokenStore`, through `TokenStore` only) stands beside it: every pair written here is written there too, and when
/// the database is unreachable the process carries on from memory and that file; the newer `generation`
/// is written back once the database returns. Nothing here waits on the database for longer than
/// `PGConnectionSlot`'s bounds, and nothing on a request thread waits on it at all.
public final class PostgresTokenStore: TokenStore, @unchecked Sendable {
    public let kind = "postgres"
    public let location = "PostgreSQL (DATABASE_URL)"

    static let pingInterval = 2.0

    private let conninfo: String
    let local: any TokenStore
    private let log = Logger.shared
    /// Token operations: the refresh thread, `auth`, `check`, and the token manager's write retries.
    private var tokens: PGConnectionSlot!
    /// Writes of the last good result, and reachability pings: the background thread only.
    private var background: PGConnectionSlot!
    private let reachable = Mutex(false)
    private let problem = Mutex<String?>(nil)
    /// The newest last good result not yet written to the database, and whether the thread should wake.
    private let pending = ConditionLock(rank: .pendingWrites)
    nonisolated(unsafe) private var pendingResult: PersistedResult?

    public init(conninfo: String, local: any TokenStore) {
        self.conninfo = conninfo
        self.local = local
        tokens = PGConnectionSlot(conninfo: conninfo) { [unowned self] connection throws(PostgresError) in
            try SchemaMigrations.apply(on: connection)
            try reconcile(connection)
        }
        background = PGConnectionSlot(conninfo: conninfo) { _ throws(PostgresError) in }
        // Connect and migrate now when possible; a database down at start is not fatal.
        do {
            try tokens.with { _ throws(PostgresError) in }
            reachable.withLock { $0 = true }
            log.info("connected to PostgreSQL")
        } catch {
            problem.withLock { $0 = error.debugDescription }
            log.warning("PostgreSQL is unreachable at start (\(error)); serving from the local state file until it returns")
        }
        PosixThread.spawn(name: "tw-postgres") { [self] in backgroundLoop() }
    }

    // MARK: TokenStore

    public func loadTokens() throws(StoreError) -> TokenRecord {
        let localRecord = try? local.loadTokens()
        do {
            let stored = try operation { connection throws(PostgresError) in try Self.readTokens(connection) }
            var record = Self.newer(localRecord, than: stored)
            // A rejection is this host's own finding; the shared row is never marked.
            record.rejected = localRecord?.rejected == true && localRecord?.pair?.refreshToken == record.pair?.refreshToken
            return record
        } catch {
            // Never fall back to "nothing stored": that would let an environment token be spent.
            guard let localRecord, localRecord.pair != nil else {
                throw StoreError("read tokens", cause: error, unreachable: error.isConnectionProblem)
            }
            return localRecord
        }
    }

    public func lockRotation(lastResort: Bool) throws(StoreError) -> any RotationLock {
        do {
            _ = try operation { connection throws(PostgresError) in
                try connection.execute("SELECT pg_advisory_lock($1::bigint)", [SchemaMigrations.refreshLockKey], operation: "lock refresh")
            }
            return PostgresRotationLock(store: self)
        } catch let error where error.isConnectionProblem && lastResort {
            log.warning("PostgreSQL is unreachable (\(error)): rotating from the local state file as a last resort")
            return LocalFallbackRotationLock(local: try local.lockRotation(lastResort: true), cause: error)
        } catch {
            throw StoreError("lock refresh", cause: error, unreachable: error.isConnectionProblem)
        }
    }

    func unlockRotation() {
        _ = try? operation { connection throws(PostgresError) in
            try connection.execute("SELECT pg_advisory_unlock($1::bigint)", [SchemaMigrations.refreshLockKey], operation: "unlock refresh")
        }
    }

    public func saveRotated(_ pair: TokenPair) throws(StoreError) {
        // Locally first: a restart during a database outage still has it.
        do {
            try local.saveRotated(pair)
        } catch {
            log.error("could not write the rotated token to the local state file: \(error)")
        }
        do {
            _ = try operation { connection throws(PostgresError) in try Self.writeIfNewer(pair, connection) }
        } catch {
            throw StoreError("write tokens to PostgreSQL", cause: error, unreachable: error.isConnectionProblem)
        }
    }

    public func markRejected(refreshToken: String) {
        local.markRejected(refreshToken: refreshToken)
    }

    public func saveTokens(_ pair: TokenPair) throws(StoreError) -> String? {
        do {
            try operation { connection throws(PostgresError) in
                try connection.lockedTransaction(lockKey: SchemaMigrations.refreshLockKey, operation: "save tokens") { () throws(PostgresError) in
                    let stored = try Self.readTokens(connection)
                    let localRecord = try? local.loadTokens()
                    var next = pair
                    next.generation = max(Self.generation(stored), localRecord.map(Self.generation) ?? 0) + 1
                    try? local.saveRotated(next)
                    try Self.writeTokens(TokenRecord(pair: next, everHeld: true, rejected: false), connection)
                }
            }
            return nil
        } catch let error where error.isConnectionProblem {
            // The grant must not be lost: keep it in the local file, with a generation above anything
            // this host knows, and let the next connection write it back to the database.
            log.warning("PostgreSQL is unreachable (\(error)); keeping the new token in the local state file")
            _ = try local.saveTokens(pair)
            return "the local state file \(local.location) (PostgreSQL was unreachable; this host writes it back when it next connects)"
        } catch {
            throw StoreError("save tokens", cause: error)
        }
    }

    public func clearTokens() throws(StoreError) {
        do {
            try operation { connection throws(PostgresError) in
                try Self.writeTokens(TokenRecord(pair: nil, everHeld: true, rejected: false), connection)
            }
        } catch {
            throw StoreError("clear tokens", cause: error, unreachable: error.isConnectionProblem)
        }
        try local.clearTokens()
    }

    public func loadLastResult() throws(StoreError) -> PersistedResult? {
        let fallback = try? local.loadLastResult()
        let stored: PersistedResult? = try? operation { connection throws(PostgresError) in
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

    /// Locally at once; to the database on the background thread, so it never delays a refresh.
    public func saveLastResult(_ result: PersistedResult) throws(StoreError) {
        pending.withLock {
            pendingResult = result
            pending.broadcast()
        }
        try local.saveLastResult(result)
    }

    public var isReachable: Bool {
        reachable.withLock { $0 }
    }

    /// libpq's words for the last connection problem (password redacted), for `check`.
    public var lastProblem: String? {
        problem.withLock { $0 }
    }

    // MARK: Background

    private func backgroundLoop() {
        while true {
            let result: PersistedResult? = pending.withLock {
                _ = pending.wait(until: { pendingResult != nil }, timeout: Self.pingInterval)
                defer { pendingResult = nil }
                return pendingResult
            }
            if let result { writeLastResult(result) }
            let alive = PGConnection.ping(conninfo: conninfo, connectTimeout: PGConnectionSlot.connectTimeout)
            reachable.withLock { $0 = alive }
        }
    }

    private func writeLastResult(_ result: PersistedResult) {
        guard let json = try? String(decoding: JSONEncoder().encode(result), as: UTF8.self) else { return }
        do {
            try background.with { connection throws(PostgresError) in
                _ = try connection.execute(
                    """
                    INSERT INTO trakt_widget_last_result (id, payload, updated_at) VALUES (1, $1::jsonb, now())
                    ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, updated_at = now()
                    """,
                    [json], operation: "write last result"
                )
            }
        } catch {
            log.warning("could not write the last good result to PostgreSQL: \(error)")
        }
    }

    // MARK: Connection

    /// A token operation on the database; its outcome also updates what health reports.
    private func operation<T>(_ body: (PGConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        do {
            let value = try tokens.with(body)
            reachable.withLock { $0 = true }
            return value
        } catch {
            if error.isConnectionProblem {
                reachable.withLock { $0 = false }
                // "reconnect backoff" says nothing new: keep libpq's last words.
                if error.detail != nil { problem.withLock { $0 = error.debugDescription } }
            }
            throw error
        }
    }

    /// Writes the local pair back when its generation is higher than the database's: a rotation or an
    /// `auth` made while the database was unreachable. Conditional on the generation, so a rotation
    /// committed meanwhile by another host is never overwritten.
    private func reconcile(_ connection: PGConnection) throws(PostgresError) {
        guard let pair = (try? local.loadTokens())?.pair else { return }
        if try Self.writeIfNewer(pair, connection) {
            log.info("wrote the newer local token (generation \(pair.generation)) back to PostgreSQL")
        }
    }

    // MARK: Rows

    private static func readTokens(_ connection: PGConnection) throws(PostgresError) -> TokenRecord {
        let result = try connection.execute(
            """
            SELECT access_token, refresh_token, extract(epoch FROM expires_at)::float8,
                   extract(epoch FROM updated_at)::float8, generation, ever_held
            FROM trakt_widget_tokens WHERE id = 1
            """,
            operation: "read tokens"
        )
        guard result.rowCount == 1 else { return TokenRecord() }
        let everHeld = result.text(0, 5) == "t"
        guard let refresh = result.text(0, 1) else { return TokenRecord(pair: nil, everHeld: everHeld, rejected: false) }
        let pair = TokenPair(
            accessToken: result.text(0, 0), refreshToken: refresh,
            expiresAt: result.text(0, 2).flatMap(Double.init),
            rotatedAt: result.text(0, 3).flatMap(Double.init) ?? 0,
            generation: result.text(0, 4).flatMap(Int.init) ?? 0
        )
        return TokenRecord(pair: pair, everHeld: everHeld, rejected: false)
    }

    /// Writes `pair` unless the row already holds its generation or a newer one; true when it wrote.
    @discardableResult
    private static func writeIfNewer(_ pair: TokenPair, _ connection: PGConnection) throws(PostgresError) -> Bool {
        let result = try connection.execute(
            """
            INSERT INTO trakt_widget_tokens (id, access_token, refresh_token, expires_at, updated_at, generation, ever_held, rejected)
            VALUES (1, $1, $2, to_timestamp($3::float8), to_timestamp($4::float8), $5::bigint, true, false)
            ON CONFLICT (id) DO UPDATE SET
                access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                expires_at = excluded.expires_at, updated_at = excluded.updated_at,
                generation = excluded.generation, ever_held = true, rejected = false
            WHERE trakt_widget_tokens.generation < excluded.generation
            RETURNING generation
            """,
            [pair.accessToken, pair.refreshToken, pair.expiresAt.map { String($0) }, String(pair.rotatedAt), String(pair.generation)],
            operation: "write tokens"
        )
        return result.rowCount == 1
    }

    private static func writeTokens(_ record: TokenRecord, _ connection: PGConnection) throws(PostgresError) {
        let pair = record.pair
        try connection.execute(
            """
            INSERT INTO trakt_widget_tokens (id, access_token, refresh_token, expires_at, updated_at, generation, ever_held, rejected)
            VALUES (1, $1, $2, to_timestamp($3::float8), to_timestamp($4::float8), $5::bigint, $6::boolean, false)
            ON CONFLICT (id) DO UPDATE SET
                access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                expires_at = excluded.expires_at, updated_at = excluded.updated_at,
                generation = excluded.generation, ever_held = excluded.ever_held, rejected = false
            """,
            [
                pair?.accessToken, pair?.refreshToken, pair?.expiresAt.map { String($0) },
                String(pair?.rotatedAt ?? 0), String(pair?.generation ?? 0), record.everHeld ? "true" : "false",
            ],
            operation: "write tokens"
        )
    }

    private static func generation(_ record: TokenRecord) -> Int {
        record.pair?.generation ?? 0
    }

    /// The record with the higher generation; the database's on a tie, since it is the shared truth.
    private static func newer(_ candidate: TokenRecord?, than stored: TokenRecord) -> TokenRecord {
        guard let candidate else { return stored }
        return generation(candidate) > generation(stored) ? candidate : stored
    }
}
