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

    /// Expiry from `created_at + expires_in` when Trakt sent `created_at`, else from our own clock.
    public func expiresAt(receivedAt now: Double) -> Double {
        (createdAt ?? now) + expiresIn
    }
}
