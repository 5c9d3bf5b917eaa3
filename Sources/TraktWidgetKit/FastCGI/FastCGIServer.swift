import CFastCGI
import CLinux
import Synchronization
import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

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
    /// The dispatcher wakes at least this often (ms), so its heartbeat proves it is not stuck.
    static let beatInterval: Int32 = 1000

    private let listener: Int32
    private let workers: Int
    private let handler: RequestHandler
    private let onShutdown: @Sendable () -> Void
    private let wakeup = Wakeup()
    private let stopRequested = Atomic<Bool>(false)
    private let connections: ConnectionQueue
    private let log = Logger.shared
    /// Monotonic time of the dispatcher's last loop iteration.
    private let beat = Mutex<Double>(ConditionLock.monotonicNow())

    public init(
        listening descriptor: Int32, workers: Int, handler: RequestHandler,
        onShutdown: @escaping @Sendable () -> Void
    ) {
        listener = descriptor
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
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        for index in 0..<workers {
            PosixThread.spawn(name: "tw-worker-\(index)") { [self] in workerLoop(index) }
        }
        log.info("serving FastCGI with \(workers) workers")
        events(.ready)

        var idle: [Int32] = []
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            serveOnce(&idle)
        }

        events(.stopping)
        log.info("stopped accepting; finishing in-flight requests")
        connections.beginDrain()
        idle.forEach { _ = Glibc.close($0) }
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
    private func serveOnce(_ idle: inout [Int32]) {
        idle.append(contentsOf: connections.takeReturned())
        if idle.count > Self.maxIdleConnections {
            idle.prefix(idle.count - Self.maxIdleConnections).forEach { _ = Glibc.close($0) }
            idle.removeFirst(idle.count - Self.maxIdleConnections)
        }
        let slots = connections.freeSlots()
        var polled = [pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0)]
        polled.append(pollfd(fd: slots > 0 ? listener : -1, events: Int16(POLLIN), revents: 0))
        polled += idle.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }

        let ready = poll(&polled, nfds_t(polled.count), Self.beatInterval)
        beat.withLock { $0 = ConditionLock.monotonicNow() }
        guard ready > 0 else { return }
        if polled[0].revents != 0 { wakeup.drain() }
        // A shutdown that arrived with this wakeup wins over the listener: nothing is accepted after it.
        if polled[1].revents != 0 && !stopRequested.load(ordering: .sequentiallyConsistent) { acceptUpTo(slots) }
        // A readable idle connection carries a request, or EOF; either way a worker reads it.
        var stillIdle: [Int32] = []
        for (descriptor, entry) in zip(idle, polled.dropFirst(2)) {
            if entry.revents != 0 { connections.enqueue(descriptor) } else { stillIdle.append(descriptor) }
        }
        idle = stillIdle
    }

    private func acceptUpTo(_ slots: Int) {
        for _ in 0..<slots {
            let connection = accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            guard connection >= 0 else {
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED {
                    log.warning("accept: \(Errno.current)")
                }
                return
            }
            var timeout = timeval(tv_sec: Self.connectionIOTimeout, tv_usec: 0)
            let size = socklen_t(MemoryLayout<timeval>.size)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
            connections.enqueue(connection)
        }
    }

    /// Waits until nothing accepted is pending or in flight, closing kept connections handed back.
    private func drain(for seconds: Double) -> Bool {
        let deadline = ConditionLock.monotonicNow() + seconds
        while true {
            connections.takeReturned().forEach { _ = Glibc.close($0) }
            if connections.isIdle { return true }
            let remaining = deadline - ConditionLock.monotonicNow()
            if remaining <= 0 { return false }
            var polled = pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&polled, 1, Int32(min(remaining * 1000, Double(Self.beatInterval))) + 1) > 0 { wakeup.drain() }
            beat.withLock { $0 = ConditionLock.monotonicNow() }
        }
    }

    private func workerLoop(_ index: Int) {
        let request = FastCGIRequest()
        while let connection = connections.take(worker: index) {
            var kept: Int32?
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
