/// The token state machine: valid → refresh due → refreshing → rotated (valid again), or re-auth required.
///
/// Pure value; the I/O shell feeds it events and the clock, and persists what it rotates.
public struct TokenLifecycle: Equatable, Sendable {
    public private(set) var pair: TokenPair?
    public private(set) var refreshing = false
    /// The refresh token Trakt rejected with `invalid_grant`. Kept so we never send it again, and so a new
    /// pair written by `trakt-widget auth` (a different token) is recognised as recovery.
    public private(set) var rejectedRefreshToken: String?
    /// Set when Trakt answered 401 to the access token before its expiry: refresh ahead of schedule.
    public private(set) var accessRejected = false
    /// False from the moment a rotated pair is adopted from Trakt's answer until a store has written it.
    /// The pair is used either way; only a restart in between would lose it.
    public private(set) var persisted = true

    /// Refresh once this much of the lifetime is used, so a 7-day token rotates after 3.5 days and a
    /// missed cycle or two never lets it expire. Never earlier: a fixed margin before expiry would put
    /// the due time of a short lifetime (Trakt chooses it) in the past, and burn the token in a loop.
    public static let refreshAtLifetimeFraction = 0.5
    /// Without the shared store a host may rotate only as a last resort: not while its access token has
    /// this long left, since another host may be rotating the same pair from the store right now.
    public static let isolatedRotationFloor = 3_600.0

    public init(pair: TokenPair? = nil, rejectedRefreshToken: String? = nil) {
        self.pair = pair
        self.rejectedRefreshToken = rejectedRefreshToken
    }

    public func phase(now: Double) -> TokenPhase {
        guard let pair else { return rejectedRefreshToken == nil ? .missing : .reauthRequired }
        if pair.refreshToken == rejectedRefreshToken { return .reauthRequired }
        if refreshing { return .refreshing }
        if accessRejected || pair.accessToken == nil { return .refreshDue }
        if let due = Self.refreshDueAt(pair), now >= due { return .refreshDue }
        return .valid
    }

    public func action(now: Double) -> TokenAction {
        guard let pair else { return .reauthRequired }
        switch phase(now: now) {
        case .valid, .refreshing:
            if let access = pair.accessToken { return .use(accessToken: access) }
            return .refresh(refreshToken: pair.refreshToken)
        case .refreshDue:
            return .refresh(refreshToken: pair.refreshToken)
        case .missing, .reauthRequired, .notUsed:
            return .reauthRequired
        }
    }

    public static func refreshDueAt(_ pair: TokenPair) -> Double? {
        guard let expiresAt = pair.expiresAt else { return nil }
        let lifetime = max(0, expiresAt - pair.rotatedAt)
        return pair.rotatedAt + lifetime * refreshAtLifetimeFraction
    }

    /// The access token to keep using instead of rotating while the shared store cannot be reached:
    /// one Trakt has not refused with more than `isolatedRotationFloor` left, since other hosts may be
    /// rotating the same pair. Nil when rotating from the local copy is the last resort left.
    public func isolatedAccessToken(now: Double) -> String? {
        guard let pair, let access = pair.accessToken, !accessRejected, pair.refreshToken != rejectedRefreshToken,
              let expiresAt = pair.expiresAt, expiresAt - now > Self.isolatedRotationFloor
        else { return nil }
        return access
    }

    public mutating func beginRefresh() {
        refreshing = true
    }

    /// A newer pair read from a store: rotated by another process, or written by `trakt-widget auth`.
    public mutating func adopt(_ newPair: TokenPair) {
        if let pair, newPair.generation < pair.generation { return }
        if let pair, newPair.generation == pair.generation, !persisted { return }
        pair = newPair
        refreshing = false
        accessRejected = false
        persisted = true
    }

    /// Trakt just issued `newPair`: the old refresh token is spent, so this pair is the only one left. It
    /// is used at once, before any store has written it.
    public mutating func rotated(_ newPair: TokenPair) {
        pair = newPair
        refreshing = false
        accessRejected = false
        persisted = false
    }

    /// A store has written the pair of this generation (or a newer one).
    public mutating func persisted(generation: Int) {
        if let pair, generation >= pair.generation { persisted = true }
    }

    /// Trakt rejected the refresh token (`invalid_grant`): stop refreshing until a new pair arrives.
    public mutating func refreshRejected() {
        refreshing = false
        rejectedRefreshToken = pair?.refreshToken
    }

    /// The refresh failed for a passing reason (network, 5xx); the pair is still good to retry later.
    public mutating func refreshFailedTransiently() {
        refreshing = false
    }

    /// Trakt answered 401 to the access token.
    public mutating func accessTokenRejected() {
        accessRejected = true
    }

    /// `trakt-widget auth --revoke` or an operator cleared the store.
    public mutating func clear() {
        pair = nil
        refreshing = false
        accessRejected = false
        persisted = true
    }
}
