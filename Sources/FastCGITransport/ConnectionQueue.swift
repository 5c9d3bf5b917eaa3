import SystemCalls
import Threads

/// Hands accepted connections from the dispatcher to the workers, and counts what the drain waits for.
///
/// The dispatcher only accepts while a worker is idle, so a connection is either in the kernel's
/// backlog (the next instance's after a restart) or counted here: the drain can never miss one.
final class ConnectionQueue: @unchecked Sendable {
    private let lock = ConditionLock(rank: .serverBusy)
    private var pending: [FileDescriptor] = []
    private var idleWorkers = 0
    /// When each worker took its current connection (monotonic seconds); nil while idle.
    private var busySince: [Double?]
    /// Kept-alive connections the workers gave back, for the dispatcher to watch.
    private var returned: [FileDescriptor] = []
    private var draining = false
    private var closed = false
    private var dispatcherWantsWorker = false
    private let wakeup: WakeupPipe

    init(workers: Int, wakeup: WakeupPipe) {
        busySince = Array(repeating: nil, count: workers)
        self.wakeup = wakeup
    }

    // MARK: Dispatcher side

    /// How many more connections may be accepted now; zero asks the next idle worker to wake the
    /// dispatcher.
    func freeSlots() -> Int {
        lock.withLock {
            let free = draining ? 0 : max(0, idleWorkers - pending.count)
            dispatcherWantsWorker = free == 0
            return free
        }
    }

    func enqueue(_ connection: FileDescriptor) {
        lock.withLock {
            pending.append(connection)
            // One connection, one worker: waking every idle worker would cost each a context switch.
            lock.signal()
        }
    }

    func takeReturned() -> [FileDescriptor] {
        lock.withLock {
            defer { returned.removeAll() }
            return returned
        }
    }

    /// From now on no connection is accepted or kept: finished ones are closed.
    func beginDrain() {
        lock.withLock { draining = true }
    }

    /// Nothing accepted is waiting or being served.
    var isIdle: Bool {
        lock.withLock { pending.isEmpty && busySince.allSatisfy { $0 == nil } }
    }

    /// Lets the workers return; called once the drain is over.
    func close() {
        lock.withLock {
            closed = true
            lock.broadcast()
        }
    }

    /// The start of the longest request still being served, for the watchdog.
    func oldestBusySince() -> Double? {
        lock.withLock { busySince.compactMap { $0 }.min() }
    }

    // MARK: Worker side

    /// Blocks until a connection is ready for `worker`; nil once the queue is closed.
    func take(worker: Int) -> FileDescriptor? {
        lock.withLock {
            idleWorkers += 1
            if dispatcherWantsWorker {
                dispatcherWantsWorker = false
                wakeup.signal()
            }
            lock.wait(until: { !pending.isEmpty || closed })
            idleWorkers -= 1
            guard !pending.isEmpty else { return nil }
            busySince[worker] = ConditionLock.monotonicNow()
            return pending.removeFirst()
        }
    }

    /// Whether a finished kept-alive connection may go back to the dispatcher.
    var keepsConnections: Bool {
        lock.withLock { !draining }
    }

    func done(worker: Int, returning connection: FileDescriptor?) {
        lock.withLock {
            busySince[worker] = nil
            if let connection { returned.append(connection) }
            if connection != nil || draining { wakeup.signal() }
        }
    }
}
