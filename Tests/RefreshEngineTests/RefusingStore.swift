import FileStore
import Synchronization
import SystemCalls
import TokenStorage
import TraktWidgetCore

/// A file store whose token writes can be made to fail, as a full disk would.
final class RefusingStore: TokenStore {
    let inner: FileTokenStore
    let refusing = Atomic(false)
    var kind: String { inner.kind }
    var location: String { inner.location }
    var isReachable: Bool { inner.isReachable }
    var lastProblem: String? { nil }

    init(_ inner: FileTokenStore) {
        self.inner = inner
    }

    private func check() throws(StoreError) {
        if refusing.load(ordering: .relaxed) {
            throw StoreError("write tokens", cause: FileStoreError.system(operation: "write tokens.json", .noSpace))
        }
    }

    func loadTokens() throws(StoreError) -> TokenRecord { try inner.loadTokens() }

    func lockRotation(lastResort: Bool) throws(StoreError) -> any RotationLock {
        RefusingLock(inner: try inner.lockRotation(lastResort: lastResort), store: self)
    }

    func saveRotated(_ pair: TokenPair) throws(StoreError) {
        try check()
        try inner.saveRotated(pair)
    }

    func markRejected(refreshToken: String) { inner.markRejected(refreshToken: refreshToken) }
    func saveTokens(_ pair: TokenPair) throws(StoreError) -> String? { try inner.saveTokens(pair) }
    func clearTokens() throws(StoreError) { try inner.clearTokens() }
    func loadLastResult() throws(StoreError) -> PersistedResult? { try inner.loadLastResult() }
    func saveLastResult(_ result: PersistedResult) throws(StoreError) { try inner.saveLastResult(result) }

    final class RefusingLock: RotationLock {
        let inner: any RotationLock
        let store: RefusingStore

        init(inner: any RotationLock, store: RefusingStore) {
            self.inner = inner
            self.store = store
        }

        func read() throws(StoreError) -> TokenRecord { try inner.read() }

        func write(_ pair: TokenPair) throws(StoreError) {
            try store.check()
            try inner.write(pair)
        }

        func release() { inner.release() }
    }
}
