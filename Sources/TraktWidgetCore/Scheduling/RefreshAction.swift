/// What the engine does after an event of `RefreshScheduler`. The engine only carries these out.
public enum RefreshAction: Sendable {
    /// Wake the refresh thread: a refresh was requested.
    case startRefresh
    /// Wake every thread waiting on the scheduler (cold requests, shutdown, persistence).
    case wakeWaiters
    /// Answer the request with this result.
    case answer(CachedResult, maxAge: Int)
    /// Answer 503: nothing to serve yet. `reauthRequired` picks the error code.
    case answerUnavailable(retryAfter: Int, reauthRequired: Bool)
    /// Block the request until refresh number `ticket` has landed or shutdown begins (bounded by the
    /// engine's cold wait), then report `waitEnded`.
    case waitForLanding(ticket: Int)
    /// Fetch now, from this previous result, then report `land`.
    case fetch(previous: CachedResult?)
    /// Write this result and backoff to the store, then report `persisted`.
    case persist(CachedResult, RefreshBackoff)
    /// Refreshes failed: none before this time.
    case backOff(until: Double, failure: RefreshError)
    /// Shutdown: the refresh thread ends.
    case stopRefresher
}
