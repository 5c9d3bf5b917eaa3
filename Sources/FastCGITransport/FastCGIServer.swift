import CFastCGI
import Logging
import Threads
import TraktWidgetCore

/// N worker threads, each accepting on the same listening socket with its own `FCGX_Request`.
///
/// nginx must not use `fastcgi_keep_conn`: a kept connection pins a worker in `read()` even when idle.
public final class FastCGIServer: @unchecked Sendable {
    /// In-flight requests get this long to finish after SIGTERM, a cold one included (it waits for the
    /// fetch in flight)…
    public static let drainDeadline = 1.5
    /// …then whatever still waits on upstream is answered 503 and gets this long to be written. Both
    /// together stay under the 2 s promised, and under systemd's `TimeoutStopSec`.
    public static let abortGrace = 0.3

    private let descriptor: Int32
    private let workers: Int
    private let handler: RequestHandler
    private let onShutdown: @Sendable () -> Void
    private let lock = ConditionLock(rank: .serverBusy)
    private var busy = 0
    private let log = Logger.shared

    public init(listening descriptor: Int32, workers: Int, handler: RequestHandler, onShutdown: @escaping @Sendable () -> Void) {
        self.descriptor = descriptor
        self.workers = workers
        self.handler = handler
        self.onShutdown = onShutdown
    }

    /// Serves until SIGTERM/SIGINT, drains, and returns the exit status. `ShutdownSignals.block()` must
    /// have run before any thread was started.
    public func run() -> Int32 {
        guard FCGX_Init() == 0 else {
            log.error("FCGX_Init failed")
            return 1
        }
        for index in 0..<workers {
            PosixThread.spawn(name: "tw-worker-\(index)") { [self] in workerLoop() }
        }
        log.info("serving FastCGI with \(workers) workers")

        let signal = ShutdownSignals.wait()
        log.info("received \(signal); finishing in-flight requests")
        FCGX_ShutdownPending()
        if !waitForIdle(Self.drainDeadline) {
            onShutdown()
            if !waitForIdle(Self.abortGrace) {
                log.warning("stopping with requests still in flight after \(Self.drainDeadline + Self.abortGrace) s")
            }
        }
        return 0
    }

    private func waitForIdle(_ timeout: Double) -> Bool {
        lock.withLock { lock.wait(until: { busy == 0 }, timeout: timeout) }
    }

    private func workerLoop() {
        let request = FastCGIRequest(listening: descriptor)
        while request.accept() {
            lock.withLock { busy += 1 }
            let response = handler.respond(to: request.read())
            if !request.write(response) {
                log.debug("client went away before the response was written")
            }
            request.finish()
            lock.withLock {
                busy -= 1
                lock.broadcast()
            }
        }
    }
}
