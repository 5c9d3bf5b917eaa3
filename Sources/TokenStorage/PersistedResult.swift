import TraktWidgetCore

/// The last good result, as stored, so a restart during an outage still serves it, and the backoff,
/// so CGI invocations (one process per request) share it.
public struct PersistedResult: Equatable, Sendable, Codable {
    public var item: WatchedItem?
    public var fetchedAt: Double
    public var verifiedAt: Double
    public var stale: Bool
    public var poster: PosterReference?
    public var posterResolved: Bool
    public var activities: TraktLastActivities?
    public var sides: HistorySides?
    public var backoff: RefreshBackoff

    public init(_ result: CachedResult, backoff: RefreshBackoff) {
        item = result.item
        fetchedAt = result.fetchedAt
        verifiedAt = result.verifiedAt
        stale = result.stale
        poster = result.poster
        posterResolved = result.posterResolved
        activities = result.activities
        sides = result.sides
        self.backoff = backoff
    }

    public var cachedResult: CachedResult {
        CachedResult(
            item: item, fetchedAt: fetchedAt, verifiedAt: verifiedAt, stale: stale, poster: poster,
            posterResolved: posterResolved, activities: activities, sides: sides
        )
    }
}
