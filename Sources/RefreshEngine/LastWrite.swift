import Logging
import SystemCalls
import Threads
import TokenStorage

/// The stop's last try at writing a rotated pair that no store has taken yet (`TokenManager.beginLastWrite`).
///
/// The write retried every `PersistenceRetry.interval` may be seconds away when SIGTERM comes, and a
/// restart loses a pair that only memory holds; the store may take it by now (space freed, file system
/// remounted, database back). So the drain makes one more attempt on a thread of its own, and the stop
/// waits for it until `bound` after the drain began.
public final class LastWrite: Sendable {
    /// How long after the drain begins the stop waits for the last write. A file write is one fsync,
    /// milliseconds; a PostgreSQL write keeps libpq's own bounds (3 s to connect, 8 s per statement),
    /// which the stop does not wait out: `_exit` abandons it. Equal to the server's drain deadline, so
    /// the write overlaps the drain and the stop stays within its 2 s (docs/lifecycle.md).
    public static let bound = 1.5

    private let generation: Int?
    private let deadline: Double
    private let done: WakeupPipe?
    private let persisted: @Sendable () -> Bool
    private let location: String
    private let log = Logger.shared

    init(persistence: PersistenceRetry, lifecycle: SharedLifecycle, location: String) {
        deadline = Syscalls.monotonicNow() + Self.bound
        self.location = location
        persisted = { lifecycle.withLock { $0.persisted } }
        generation = lifecycle.withLock { $0.persisted ? nil : $0.pair?.generation }
        guard generation != nil else {
            done = nil
            return
        }
        // Without a pipe (no descriptors left) the write still runs; the stop just cannot wait for it.
        let done = try? WakeupPipe()
        self.done = done
        PosixThread.spawn(name: "tw-last-write") {
            persistence.attempt(retrying: false)
            done?.signal()
        }
    }

    /// Waits for the write until the deadline and logs whether the pair landed or is lost with this
    /// restart.
    public func finish() {
        guard let generation else { return }
        var finished = false
        if let done {
            finished = Readiness.wait([done.descriptor], timeout: max(0, deadline - Syscalls.monotonicNow()))[0]
        }
        if persisted() {
            log.info("stop: the last write of the rotated token (generation \(generation)) landed in \(location); the restart keeps it")
            return
        }
        if finished {
            log.error("stop: the last write of the rotated token (generation \(generation)) failed too: the pair is lost with this restart; run `trakt-widget auth` afterwards")
        } else {
            log.error("stop: the last write of the rotated token (generation \(generation)) did not finish within \(Self.bound) s: the pair is lost with this restart unless that write still lands; if the next start meets invalid_grant, run `trakt-widget auth`")
        }
    }
}
