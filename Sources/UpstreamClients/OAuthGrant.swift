/// A successful answer of `/oauth/token` or `/oauth/device/token`.
public struct OAuthGrant: Decodable, Equatable, Sendable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresIn: Double
    public var createdAt: Double?

    private enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresIn = "expires_in"
        case createdAt = "created_at"
    }

    public init(accessToken: String, refreshToken: String, expiresIn: Double, createdAt: Double?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.createdAt = createdAt
    }

    /// Lifetimes have been 3 months, 24 h and 7 days; anything beyond a year is not believed.
    static let longestLifetime = 366.0 * 86_400
    /// A `created_at` further than this from our clock is a broken value, not clock skew.
    static let clockSkewTolerance = 86_400.0

    /// Expiry from `created_at + expires_in` when Trakt sent a plausible `created_at`, else from our own
    /// clock; an absurd `expires_in` is bounded rather than trusted.
    public func expiresAt(receivedAt now: Double) -> Double {
        let issued = createdAt.flatMap { abs($0 - now) <= Self.clockSkewTolerance ? $0 : nil } ?? now
        return issued + min(max(expiresIn, 0), Self.longestLifetime)
    }
}
