/// The facts the watchdog heartbeat rests on, and the verdict: the service only tells systemd it is
/// alive (`WATCHDOG=1`) when the dispatcher loops, no request has run for too long, and the refresh
/// thread is either waiting and beating or inside a fetch that has not outlived its bound.
public struct Liveness: Equatable, Sendable {
    public struct Limits: Equatable, Sendable {
        /// The dispatcher and the idle refresh thread beat every second; this much silence is a wedge.
        public var beat: Double
        /// The longest a request may run (a cold request waits for one fetch).
        public var request: Double
        /// The longest one refresh may take (token refresh, history and TMDB rounds).
        public var fetch: Double

        public init(beat: Double, request: Double, fetch: Double) {
            self.beat = beat
            self.request = request
            self.fetch = fetch
        }
    }

    public var dispatcherBeat: Double
    public var oldestRequestSince: Double?
    public var refresh: RefreshActivity

    public init(dispatcherBeat: Double, oldestRequestSince: Double?, refresh: RefreshActivity) {
        self.dispatcherBeat = dispatcherBeat
        self.oldestRequestSince = oldestRequestSince
        self.refresh = refresh
    }

    /// nil while everything is alive; otherwise what is stuck, for STATUS= and the log.
    public func problem(now: Double, limits: Limits) -> String? {
        if now - dispatcherBeat > limits.beat {
            return "dispatcher silent for \(Int(now - dispatcherBeat)) s"
        }
        if let since = oldestRequestSince, now - since > limits.request {
            return "a request has run for \(Int(now - since)) s"
        }
        switch refresh {
        case .waiting(let lastBeat) where now - lastBeat > limits.beat:
            return "refresh thread silent for \(Int(now - lastBeat)) s"
        case .fetching(let since) where now - since > limits.fetch:
            return "refresh stuck in a fetch for \(Int(now - since)) s"
        case .stopped:
            return "refresh thread not running"
        default:
            return nil
        }
    }
}
