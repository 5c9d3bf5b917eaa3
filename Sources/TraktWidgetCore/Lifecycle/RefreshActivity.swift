/// What the refresh thread was last seen doing, in monotonic seconds.
public enum RefreshActivity: Equatable, Sendable {
    /// Waiting for work; it beats at least once per beat interval while it waits.
    case waiting(lastBeat: Double)
    /// Inside a fetch, which the upstream timeouts bound.
    case fetching(since: Double)
    /// Not running: CGI and one-shot commands refresh inline, and shutdown stops it.
    case stopped
}
