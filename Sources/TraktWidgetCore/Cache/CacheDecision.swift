/// What a request does with the cache, as decided by `CachePolicy`.
public enum CacheDecision: Equatable, Sendable {
    /// Answer from the cached result now; when `refresh` is set, also start one background refresh.
    case serve(refresh: Bool)
    /// Nothing cached: wait for the single in-flight fetch, starting it when `start` is set.
    case waitForRefresh(start: Bool)
    /// Nothing cached and refreshes are backing off: fail fast rather than call upstream per request.
    case fail(retryAfter: Int)
}
