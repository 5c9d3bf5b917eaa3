/// Versioned, idempotent schema changes, applied at start under an advisory lock so several responders
/// starting at once never race. Append new versions; never edit an applied one.
enum SchemaMigrations {
    static let all: [(version: Int, statements: [String])] = [
        (1, [
            """
            CREATE TABLE IF NOT EXISTS trakt_widget_tokens (
                id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                access_token text,
                refresh_token text,
                expires_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now(),
                generation bigint NOT NULL DEFAULT 0,
                ever_held boolean NOT NULL DEFAULT false,
                rejected boolean NOT NULL DEFAULT false
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS trakt_widget_last_result (
                id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                payload jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
    ]

    static let versionTable = """
        CREATE TABLE IF NOT EXISTS trakt_widget_schema (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Keys for `pg_advisory_xact_lock`: arbitrary constants, unique to this application.
    static let migrationLockKey = "7317001"
    static let refreshLockKey = "7317002"

    static func apply(on connection: PGConnection) throws(PostgresError) {
        try connection.lockedTransaction(lockKey: migrationLockKey, operation: "migration") { () throws(PostgresError) in
            try connection.execute(versionTable, operation: "create schema table")
            let current = try connection.execute("SELECT coalesce(max(version), 0) FROM trakt_widget_schema", operation: "read schema version")
            let applied = current.text(0, 0).flatMap(Int.init) ?? 0
            for migration in all where migration.version > applied {
                for statement in migration.statements {
                    try connection.execute(statement, operation: "migration \(migration.version)")
                }
                try connection.execute("INSERT INTO trakt_widget_schema (version) VALUES ($1::int)", [String(migration.version)], operation: "record migration")
            }
        }
    }
}
