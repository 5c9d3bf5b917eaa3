/// What the request handler needs from the engine behind it. The engine may block a cold request on the
/// single in-flight fetch; a warm request must return at once.
public protocol LastWatchedSource: Sendable {
    func lastWatched() -> LastWatchedLookup
    func health() -> HealthReport
}

/// The engine's answer for `/api/trakt/last`.
public enum LastWatchedLookup: Sendable {
    case result(CachedResult, maxAge: Int)
    case failure(APIError)
}
