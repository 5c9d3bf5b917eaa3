import Synchronization
import TraktWidgetCore

/// The process's `TokenLifecycle` behind a mutex, shared by the token manager and its write retries.
final class SharedLifecycle: Sendable {
    private let value = Mutex(TokenLifecycle())

    func withLock<T: Sendable>(_ body: (inout TokenLifecycle) -> T) -> T {
        value.withLock { body(&$0) }
    }
}
