import CFastCGI
import Logging
import Synchronization
import SystemCalls
import Threads
import TraktWidgetCore

/// A dispatcher (the thread calling `run`) and N workers.
///
/// The dispatcher alone polls the listening socket, a wakeup pipe and every idle kept-alive
/// connection, and hands readable connections to the workers, so:
/// - no worker sits in `accept()`: once shutdown begins nothing more is accepted, and new connections
///   wait in the backlog, which systemd keeps open for the next instance;
/// - an idle kept-alive connection (nginx `fastcgi_keep_conn`, Apache `enablereuse`) costs a `pollfd`,
///   not a worker, so no client can pin the workers by keeping connections open.
public final class FastCGIServer: @unchecked Sendable {
    /// In-flight requests get this long to finish after SIGTERM, a cold one included (it waits for the
    /// fetch in flight)…
    public static let drainDeadline = 1.5
    /// …then whatever still waits on upstream is answered 503 and gets this long to be written. With the
    /// refresh thread's join (`LastWatchedEngine.joinGrace`) they stay within the 2 s promised, and
    /// under systemd's `TimeoutStopSec`.
    public static let abortGrace = 0.3
    /// A peer that stalls mid-record, or stops reading its response, loses its worker after this long.
    public static let connectionIOTimeout = 10
    /// Idle kept-alive connections beyond this are closed, oldest first; clients reconnect.
    static let maxIdleConnections = 512
    /// The dispatcher wakes at least this often (seconds), so its heartbeat proves it is not stuck.
    static let beatInterval = 1.0

    private let listener: FileDescriptor
    private let workers: Int
    private let handler: RequestHandler
    private let onShutdown: @Sendable () -> Void
    private let wakeup: WakeupPipe
    private let stopRequested = Atomic<Bool>(false)
    private let connections: ConnectionQueue
    private let log = Logger.shared
    /// Monotonic time of the dispatcher's last loop iteration.
    private let beat = Mutex<Double>(Syscalls.monotonicNow())

    public init(
        listening descriptor: Int32, workers: Int, handler: RequestHandler,
        onShutdown: @escaping @Sendable () -> Void
    ) {
        listener = FileDescriptor(rawValue: descriptor)
        do {
            wakeup = try WakeupPipe()
        } catch {
            preconditionFailure("pipe2: \(error)")
        }
        self.workers = workers
        self.handler = handler
        self.onShutdown = onShutdown
        connections = ConnectionQueue(workers: workers, wakeup: wakeup)
    }

    /// Asks `run` to stop accepting and drain. Safe from any thread (the signal thread calls it).
    public func requestShutdown() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        wakeup.signal()
    }

    /// For the watchdog: when the dispatcher last looped, and since when the longest request has run
    /// (monotonic seconds).
    public func activity() -> (dispatcherBeat: Double, oldestBusySince: Double?) {
        (beat.withLock { $0 }, connections.oldestBusySince())
    }

    /// Serves until `requestShutdown`, drains, and returns the exit status. `events` hears of each
    /// phase on the calling thread.
    public func run(events: (ServerEvent) -> Void = { _ in }) -> Int32 {
        guard FCGX_Init() == 0 else {
            log.error("FCGX_Init failed")
            return 1
        }
        // Readiness comes from poll(); a non-blocking accept then never waits for a connection that
        // vanished in between.
        do {
            try listener.setNonBlocking()
        } catch {
            log.error("cannot make the listening socket non-blocking: \(error)")
            return 1
        }
        for index in 0..<workers {
            PosixThread.spawn(name: "tw-worker-\(index)") { [self] in workerLoop(index) }
        }
        log.info("serving FastCGI with \(workers) workers")
        events(.ready)

        var idle: [FileDescriptor] = []
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            serveOnce(&idle)
        }

        events(.stopping)
        log.info("stopped accepting; finishing in-flight requests")
        connections.beginDrain()
        idle.forEach { $0.close() }
        var complete = drain(for: Self.drainDeadline)
        if !complete {
            onShutdown()
            complete = drain(for: Self.abortGrace)
            if !complete {
                log.warning("stopping with requests still in flight after \(Self.drainDeadline + Self.abortGrace) s")
            }
        }
        connections.close()
        events(.drained(complete: complete))
        return 0
    }

    /// One round of the dispatcher: wait for the listener, kept connections or a wakeup, then act.
    private func serveOnce(_ idle: inout [FileDescriptor]) {
        idle.append(contentsOf: connections.takeReturned())
        if idle.count > Self.maxIdleConnections {
            idle.prefix(idle.count - Self.maxIdleConnections).forEach { $0.close() }
            idle.removeFirst(idle.count - Self.maxIdleConnections)
        }
        let slots = connections.freeSlots()
        let ready = Readiness.wait([wakeup.descriptor, slots > 0 ? listener : nil] + idle, timeout: Self.beatInterval)
        beat.withLock { $0 = Syscalls.monotonicNow() }
        if ready[0] { wakeup.drain() }
        // A shutdown that arrived with this wakeup wins over the listener: nothing is accepted after it.
        if ready[1] && !stopRequested.load(ordering: .sequentiallyConsistent) { acceptUpTo(slots) }
        // A readable idle connection carries a request, or EOF; either way a worker reads it.
        var stillIdle: [FileDescriptor] = []
        for (connection, readable) in zip(idle, ready.dropFirst(2)) {
            if readable { connections.enqueue(connection) } else { stillIdle.append(connection) }
        }
        idle = stillIdle
    }

    private func acceptUpTo(_ slots: Int) {
        for _ in 0..<slots {
            let accepted: FileDescriptor?
            do {
                accepted = try listener.acceptConnection()
            } catch {
                log.warning("accept: \(error)")
                return
            }
            guard let connection = accepted else { return }
            connection.setIOTimeout(seconds: Self.connectionIOTimeout)
            connections.enqueue(connection)
        }
    }

    /// Waits until nothing accepted is pending or in flight, closing kept connections handed back.
    private func drain(for seconds: Double) -> Bool {
        let deadline = Syscalls.monotonicNow() + seconds
        while true {
            connections.takeReturned().forEach { $0.close() }
            if connections.isIdle { return true }
            let remaining = deadline - Syscalls.monotonicNow()
            if remaining <= 0 { return false }
            if Readiness.wait([wakeup.descriptor], timeout: min(remaining, Self.beatInterval))[0] { wakeup.drain() }
            beat.withLock { $0 = Syscalls.monotonicNow() }
        }
    }

    private func workerLoop(_ index: Int) {
        let request = FastCGIRequest()
        while let connection = connections.take(worker: index) {
            var kept: FileDescriptor?
            if request.begin(on: connection) {
                let response = handler.respond(to: request.read())
                request.discardInput()
                let written = request.write(response)
                if !written {
                    log.debug("client went away before the response was written")
                }
                kept = request.finish(keep: written && request.clientKeepsConnection && connections.keepsConnections)
            }
            connections.done(worker: index, returning: kept)
        }
    }
}
