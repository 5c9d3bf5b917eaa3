import Logging
import SystemCalls
import Threads
import TraktWidgetCore

/// Sends `WATCHDOG=1` and a fresh `STATUS=` line from its own thread (tw-watchdog), but only while
/// `Liveness` finds the dispatcher, the workers and the refresh thread alive: a wedged thread stops the
/// pings, and systemd restarts the service after `WatchdogSec=`.
public final class Heartbeat: Sendable {
    /// Without a watchdog the status line is still refreshed this often (seconds).
    static let statusInterval = 10.0

    private let notifier: ServiceNotifier
    private let limits: Liveness.Limits
    private let liveness: @Sendable () -> Liveness
    private let health: @Sendable () -> HealthReport

    public init(
        notifier: ServiceNotifier, limits: Liveness.Limits, liveness: @escaping @Sendable () -> Liveness,
        health: @escaping @Sendable () -> HealthReport
    ) {
        self.notifier = notifier
        self.limits = limits
        self.liveness = liveness
        self.health = health
    }

    /// Starts the thread when systemd listens; otherwise does nothing.
    public func start(clock: WallClock) {
        guard notifier.isActive else { return }
        // Twice per watchdog period, as sd_watchdog_enabled(3) recommends.
        let interval = notifier.watchdogInterval.map { $0 / 2 } ?? Self.statusInterval
        PosixThread.spawn(name: "tw-watchdog") { [self] in
            var reported = false
            while true {
                let problem = liveness().problem(now: Syscalls.monotonicNow(), limits: limits)
                let status = StatusLine.make(health(), now: clock.now(), problem: problem)
                if let problem {
                    if !reported { Logger.shared.error("watchdog: \(problem); no longer telling systemd we are alive") }
                    reported = true
                    notifier.send("STATUS=\(status)")
                } else {
                    reported = false
                    notifier.send(notifier.watchdogInterval == nil ? "STATUS=\(status)" : "WATCHDOG=1\nSTATUS=\(status)")
                }
                Syscalls.sleep(seconds: interval)
            }
        }
    }
}
