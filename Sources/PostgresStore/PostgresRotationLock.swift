import TokenStorage
import TraktWidgetCore

/// PostgreSQL's session advisory lock on the refresh key, held for one rotation. Session-level rather
/// than transaction-level, so no transaction stays open (and idle) while Trakt is called; the server
/// drops it with the session should this process die.
final class PostgresRotationLock: RotationLock {
    private let store: PostgresTokenStore
    private var held = true

    init(store: PostgresTokenStore) {
        self.store = store
    }

    deinit {
        release()
    }

    func read() throws(StoreError) -> TokenRecord {
        try store.loadTokens()
    }

    func write(_ pair: TokenPair) throws(StoreError) {
        try store.saveRotated(pair)
    }

    func release() {
        guard held else { return }
        held = false
        store.unlockRotation()
    }
}
