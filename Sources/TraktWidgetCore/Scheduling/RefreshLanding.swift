/// How a fetch ended, fed to `RefreshScheduler.land`.
public enum RefreshLanding: Sendable {
    case success(CachedResult)
    /// A result to serve, though part of the fetch failed (one of the two histories): it is cached and
    /// ends the backoff, and health still names what failed.
    case partial(CachedResult, RefreshError)
    case failure(RefreshError)
}
