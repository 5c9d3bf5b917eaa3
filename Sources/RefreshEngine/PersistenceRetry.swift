import Logging
import Synchronization
import SystemCalls
import Threads
import TokenStorage
import TraktWidgetCore

/// Writes a rotated pair that no store has taken yet, every `interval` until one does, on a thread of
/// its own started on the first failure. Each failed attempt is logged with its cause (ENOSPC, EROFS,
/// EACCES, the database unreachable), since an operator must fix it before the next restart.
final class PersistenceRetry: Sendable {
    static let interval = 5.0

    private let store: any TokenStore
    private let lifecycle: SharedLifecycle
    private let running = Mutex(false)
    private let log = Logger.shared

    init(store: any TokenStore, lifecycle: SharedLifecycle) {
        self.store = store
        self.lifecycle = lifecycle
    }

    /// Starts the retry thread unless it runs already.
    func start() {
        let already = running.withLock { running in
            defer { running = true }
            return running
        }
        guard !already else { return }
        PosixThread.spawn(name: "tw-persist") { [self] in
            while true {
                Syscalls.sleep(seconds: Self.interval)
                if attempt() {
                    running.withLock { $0 = false }
                    return
                }
            }
        }
    }

    /// One write of the unpersisted pair, if any; true when nothing is left to write. `retrying` is false
    /// for the stop's last write (`LastWrite`), which tells the outcome itself.
    @discardableResult
    func attempt(retrying: Bool = true) -> Bool {
        guard let pair = lifecycle.withLock({ $0.persisted ? nil : $0.pair }) else { return true }
        do {
            try store.saveRotated(pair)
        } catch {
            log.error("the rotated token (generation \(pair.generation)) is still not persisted: \(error)\(retrying ? "; retrying in \(Int(Self.interval)) s" : "")")
            return false
        }
        lifecycle.withLock { $0.persisted(generation: pair.generation) }
        if retrying { log.info("the rotated token (generation \(pair.generation)) is persisted now (\(store.location))") }
        return true
    }
}
