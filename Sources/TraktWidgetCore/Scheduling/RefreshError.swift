/// A failed refresh as the scheduler sees it: what health reports, how long upstream asked us to wait,
/// and whose failure it was.
public struct RefreshError: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// Trakt or TMDB answered badly or not at all.
        case upstream
        /// No usable token: the refresh token was rejected or none was ever stored.
        case reauthRequired
        /// The token store failed; never reported as an upstream error.
        case store
    }

    public var code: String
    public var source: Source
    /// An upstream `Retry-After`, in seconds: backoff never ends before it.
    public var retryAfter: Double?

    public init(code: String, source: Source, retryAfter: Double? = nil) {
        self.code = code
        self.source = source
        self.retryAfter = retryAfter
    }
}
