import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `PGconn`; `deinit` finishes it. Not thread-safe (libpq forbids sharing a connection), so
/// its owner serialises access.
final class PGConnection {
    private let connection: OpaquePointer

    /// Our defaults come first so anything in `DATABASE_URL` (a URI or key=value conninfo) overrides them.
    init(conninfo: String, connectTimeout: Int) throws(PostgresError) {
        // NOTICEs (e.g. "already exists, skipping" from idempotent migrations) would go to stderr.
        let keywords = ["connect_timeout", "application_name", "options", "dbname"]
        let values = [String(connectTimeout), "trakt-widget", "-c client_min_messages=warning", conninfo]
        let connection = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw .unavailable("out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            PQfinish(connection)
            throw .unavailable("connection failed")
        }
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    var isHealthy: Bool { PQstatus(connection) == CONNECTION_OK }

    /// Runs one parameterised statement (`$1`, `$2`, …). Values travel separately from the SQL text,
    /// so no value is ever parsed as SQL.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = [], operation: String) throws(PostgresError) -> PGResult {
        let raw = Self.withCStrings(parameters) { pointers in
            PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard let raw else { throw .unavailable("no result") }
        let result = PGResult(raw)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return result
        default:
            if !isHealthy { throw .unavailable("connection lost") }
            throw .queryFailed(operation: operation, sqlState: result.sqlState)
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
        let keywords = ["connect_timeout", "dbname"]
        let values = [String(connectTimeout), conninfo]
        return withCStrings(keywords) { k in withCStrings(values) { v in PQpingParams(k, v, 1) } } == PQPING_OK
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
