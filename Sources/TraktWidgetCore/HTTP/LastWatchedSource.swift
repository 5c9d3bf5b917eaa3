/// What the request handler needs from the engine behind it. The engine may block a cold request on the
/// single in-flight fetch; a warm request must return at once.
public protocol LastWatchedSource: Sendable {
    func lastWatched() -> LastWatchedLookup
    /// The same answer as `lastWatched`, with the card variants and history lists built from it.
    func watchViews() -> WatchViewsLookup
    func health() -> HealthReport
}

/// The engine's answer for `card.svg` and `/api/watch/history`.
public enum WatchViewsLookup: Sendable {
    case views(WatchViews, maxAge: Int)
    case failure(APIError)
}

/// The engine's answer for `/api/trakt/last`.
public enum LastWatchedLookup: Sendable {
    case result(CachedResult, maxAge: Int)
    case failure(APIError)
}

extension LastWatchedSource {
    /// Views built on demand from `lastWatched`, without posters: for sources with nothing pre-built
    /// (test stubs, the fuzzer). The engine keeps its views from one refresh to the next instead.
    public func watchViews() -> WatchViewsLookup {
        switch lastWatched() {
        case .failure(let error):
            return .failure(error)
        case .result(let result, let maxAge):
            let views = WatchViews(result: result, posters: [:], sources: CardPosters(images: ImageSettings()), now: result.verifiedAt)
            return .views(views, maxAge: maxAge)
        }
    }
}
