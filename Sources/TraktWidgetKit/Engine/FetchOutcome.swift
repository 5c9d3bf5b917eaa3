import TraktWidgetCore

/// How one refresh ended.
public enum FetchOutcome: Sendable {
    /// Trakt answered everything asked.
    case complete(CachedResult)
    /// One history failed; the result keeps that side's last good item. The failure still drives the
    /// backoff, so a 429's `Retry-After` is honoured.
    case partial(CachedResult, UpstreamFailure)
    /// Nothing usable: the previous result stays, flagged stale.
    case failed(UpstreamFailure)
}
