import CSystemd
import Logging

/// systemd's notification socket (`sd_notify`): readiness, stopping, status and watchdog pings.
/// Without `$NOTIFY_SOCKET` (not started by systemd with Type=notify) every call is a no-op.
public struct ServiceNotifier: Sendable {
    public let isActive: Bool
    /// `WatchdogSec=` in seconds, when the watchdog is on for this process.
    public let watchdogInterval: Double?

    public init(environment: [String: String]) {
        isActive = environment["NOTIFY_SOCKET"].map { !$0.isEmpty } ?? false
        var microseconds: UInt64 = 0
        watchdogInterval = isActive && sd_watchdog_enabled(0, &microseconds) > 0 ? Double(microseconds) / 1e6 : nil
    }

    /// Sends newline-separated assignments, e.g. "READY=1\nSTATUS=serving".
    public func send(_ assignments: String) {
        guard isActive else { return }
        if sd_notify(0, assignments) < 0 {
            Logger.shared.debug("sd_notify failed")
        }
    }
}
