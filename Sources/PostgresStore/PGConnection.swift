import CLibPQ
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `PGconn`; `deinit` finishes it. Not thread-safe (libpq forbids sharing a connection), so
/// its owner serialises access.
///
/// Every statement runs against a client-side deadline: the server's `statement_timeout` cannot help
/// when the server itself is stopped, and TCP keepalives do nothing on a unix socket. A statement
/// that misses its deadline breaks the connection (`isHealthy` turns false), so it is never reused
/// half-way through a protocol exchange.
final class PGConnection {
    private let connection: OpaquePointer
    private var broken = false
    /// The monotonic time by which the current statement must finish; set by the owner per operation.
    var deadline = Double.infinity

    /// Bounds for every connection, each overridable in `DATABASE_URL` (a later keyword wins). An
    /// `options` there replaces these `-c` settings as a whole.
    static func defaultParameters(connectTimeout: Int) -> [(String, String)] {
        [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", "trakt-widget"),
            // A dead peer on TCP is noticed within ~10 s instead of TCP's ~15 min.
            ("keepalives", "1"),
            ("keepalives_idle", "5"),
            ("keepalives_interval", "2"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "10000"),
            // NOTICEs (e.g. "already exists, skipping" from idempotent migrations) would go to stderr.
            ("options", "-c client_min_messages=warning -c statement_timeout=5000 -c lock_timeout=5000 "
                + "-c idle_in_transaction_session_timeout=15000"),
        ]
    }

    /// Our defaults come first so anything in `DATABASE_URL` (a URI or key=value conninfo) overrides them.
    init(conninfo: String, connectTimeout: Int) throws(PostgresError) {
        let parameters = Self.defaultParameters(connectTimeout: connectTimeout) + [("dbname", conninfo)]
        let connection = Self.withCStrings(parameters.map(\.0)) { keywordPointers in
            Self.withCStrings(parameters.map(\.1)) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw .unavailable("out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let detail = Self.message(connection)
            PQfinish(connection)
            throw .unavailable("connection failed", detail: detail)
        }
        PQsetnonblocking(connection, 1)
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    var isHealthy: Bool { !broken && PQstatus(connection) == CONNECTION_OK }

    /// Runs one parameterised statement (`$1`, `$2`, …). Values travel separately from the SQL text,
    /// so no value is ever parsed as SQL.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = [], operation: String) throws(PostgresError) -> PGResult {
        guard !broken else { throw .unavailable("connection lost") }
        let sent = Self.withCStrings(parameters) { pointers in
            PQsendQueryParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard sent == 1 else { throw fail("could not send \(operation)") }
        try flush(operation)
        var last: PGResult?
        while true {
            try awaitResult(operation)
            guard let raw = PQgetResult(connection) else { break }
            last = PGResult(raw)
        }
        guard let result = last else { throw fail("no result for \(operation)") }
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return result
        default:
            if PQstatus(connection) != CONNECTION_OK { throw fail("connection lost") }
            throw .queryFailed(operation: operation, sqlState: result.sqlState, detail: Self.message(connection))
        }
    }

    /// Runs `body` in one transaction holding `pg_advisory_xact_lock(lockKey)` until it ends: committed
    /// when `body` returns, rolled back when it (or the commit) throws.
    func lockedTransaction<T>(lockKey: String, operation: String, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        try execute("BEGIN", operation: "begin \(operation)")
        do throws(PostgresError) {
            try execute("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey], operation: "lock \(operation)")
            let value = try body()
            try execute("COMMIT", operation: "commit \(operation)")
            return value
        } catch {
            _ = try? execute("ROLLBACK", operation: "rollback \(operation)")
            throw error
        }
    }

    /// Checks whether a server accepts connections, without authenticating or sharing a connection.
    static func ping(conninfo: String, connectTimeout: Int) -> Bool {
        let parameters = defaultParameters(connectTimeout: connectTimeout) + [("dbname", conninfo)]
        return withCStrings(parameters.map(\.0)) { k in withCStrings(parameters.map(\.1)) { v in PQpingParams(k, v, 1) } } == PQPING_OK
    }

    // MARK: Waiting with a deadline

    private func flush(_ operation: String) throws(PostgresError) {
        while true {
            let pending = PQflush(connection)
            if pending == 0 { return }
            if pending < 0 { throw fail("could not send \(operation)") }
            try wait(forWriting: true, operation)
        }
    }

    private func awaitResult(_ operation: String) throws(PostgresError) {
        while PQisBusy(connection) == 1 {
            try wait(forWriting: false, operation)
            guard PQconsumeInput(connection) == 1 else { throw fail("connection lost") }
        }
    }

    private func wait(forWriting: Bool, _ operation: String) throws(PostgresError) {
        let remaining = deadline - Syscalls.monotonicNow()
        guard remaining > 0 else { throw fail("\(operation) timed out") }
        let ready: Bool
        do {
            ready = try Syscalls.poll(PQsocket(connection), forWriting: forWriting, seconds: remaining)
        } catch {
            throw fail("poll failed: \(error)")
        }
        guard ready else { throw fail("\(operation) timed out") }
    }

    /// Marks the connection unusable: after a missed deadline the protocol state is unknown.
    private func fail(_ reason: String) -> PostgresError {
        broken = true
        return .unavailable(reason, detail: Self.message(connection))
    }

    private static func message(_ connection: OpaquePointer) -> String? {
        guard let raw = PQerrorMessage(connection) else { return nil }
        let password = PQpass(connection).map { String(cString: $0) }
        let text = PostgresError.redacted(String(cString: raw), hiding: password)
        return text.isEmpty ? nil : text
    }

    /// A NULL-terminated array of C strings (nil entries stay NULL: SQL NULL parameters).
    private static func withCStrings<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        pointers.append(nil)
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
