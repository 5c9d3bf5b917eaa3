import TokenStorage
import TraktWidgetCore

/// The last resort while PostgreSQL is unreachable: this host's local state file, under its `flock`.
/// A pair written here is not yet shared, so `write` still reports the database as unreachable and the
/// token manager keeps retrying the shared write.
final class LocalFallbackRotationLock: RotationLock {
    private let local: any RotationLock
    private let cause: PostgresError

    init(local: any RotationLock, cause: PostgresError) {
        self.local = local
        self.cause = cause
    }

    func read() throws(StoreError) -> TokenRecord {
        try local.read()
    }

    func write(_ pair: TokenPair) throws(StoreError) {
        try local.write(pair)
        throw StoreError("write tokens to PostgreSQL (kept in the local state file)", cause: cause, unreachable: true)
    }

    func release() {
        local.release()
    }
}
