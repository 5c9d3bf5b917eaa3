/// Moments of the server's life that the service manager hears about (sd_notify) and tests observe.
public enum ServerEvent: Equatable, Sendable {
    /// The workers run and the dispatcher watches the listening socket.
    case ready
    /// Shutdown began: nothing more is accepted.
    case stopping
    /// Every accepted request was answered (`complete`), or the deadlines ran out first.
    case drained(complete: Bool)
}
