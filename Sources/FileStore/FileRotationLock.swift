import TokenStorage
import TraktWidgetCore

/// The state directory's `flock`, held for one rotation.
final class FileRotationLock: RotationLock {
    private let store: FileTokenStore
    private let lock: FileLock
    private var held = true

    init(store: FileTokenStore, lock: FileLock) {
        self.store = store
        self.lock = lock
    }

    deinit {
        release()
    }

    func read() throws(StoreError) -> TokenRecord {
        try store.loadTokens()
    }

    func write(_ pair: TokenPair) throws(StoreError) {
        try store.surface("write tokens") { () throws(FileStoreError) in try store.writeIfNewer(pair) }
    }

    func release() {
        guard held else { return }
        held = false
        lock.release()
    }
}
