import TraktWidgetCore

/// The last good result, as stored, so a restart during an outage still serves it, and the backoff,
/// so CGI invocations (one process per request) share it.
public struct PersistedResult: Equatable, Sendable, Codable {
    public var provider: ProviderKind
    public var snapshot: WatchSnapshot
    public var fetchedAt: Double
    public var verifiedAt: Double
    public var stale: Bool
    public var posterRetry: PosterReference?
    public var mark: ChangeMark?
    public var backoff: RefreshBackoff

    public init(_ result: CachedResult, backoff: RefreshBackoff) {
        provider = result.provider
        snapshot = result.snapshot
        fetchedAt = result.fetchedAt
        verifiedAt = result.verifiedAt
        stale = result.stale
        posterRetry = result.posterRetry
        mark = result.mark
        self.backoff = backoff
    }

    public var cachedResult: CachedResult {
        CachedResult(
            provider: provider, snapshot: snapshot, fetchedAt: fetchedAt, verifiedAt: verifiedAt, stale: stale,
            posterRetry: posterRetry, mark: mark
        )
    }
}
