import Synchronization
import SystemCalls

/// Line logger to stderr (the journal under systemd). Every line passes through the redactor, so a
/// secret that slips into a message is masked before it is written.
///
/// When stderr is the journal (`$JOURNAL_STREAM` names its device and inode), each line starts with its
/// syslog priority, `<3>` error to `<7>` debug (sd-daemon(3)), so `journalctl -p warning` shows the
/// warnings and errors alone.
public final class Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// sd-daemon(3) prefixes: SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG.
        var journalPriority: String {
            switch self {
            case .debug: "<7>"
            case .info: "<6>"
            case .warning: "<4>"
            case .error: "<3>"
            }
        }

        var label: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }
    }

    public static let shared = Logger()

    private let state = Mutex<(minimum: Level, secrets: Set<String>)>((.info, []))
    private let toJournal = Logger.stderrIsJournal()

    /// systemd sets JOURNAL_STREAM=DEVICE:INODE for a stream connected to journald; it only counts when
    /// it still describes fd 2 (a child may inherit the variable with a redirected stderr).
    private static func stderrIsJournal() -> Bool {
        guard let stream = Syscalls.environment("JOURNAL_STREAM") else { return false }
        return stream == FileDescriptor.standardError.deviceAndInode
    }

    public var minimumLevel: Level {
        get { state.withLock { $0.minimum } }
        set { state.withLock { $0.minimum = newValue } }
    }

    /// Registers a value that must never be written: tokens, the client secret, the TMDB key.
    public func addSecret(_ secret: String?) {
        guard let secret, secret.count >= 4 else { return }
        state.withLock { _ = $0.secrets.insert(secret) }
    }

    public func redact(_ text: String) -> String {
        let secrets = state.withLock { $0.secrets }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: "[REDACTED]")
        }
        return result
    }

    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    private func log(_ level: Level, _ message: String) {
        guard level >= minimumLevel else { return }
        // One write(2) per line: lines from several threads never interleave.
        Syscalls.writeDiagnostic("\(toJournal ? level.journalPriority : "")trakt-widget \(level.label): \(redact(message))\n")
    }
}
