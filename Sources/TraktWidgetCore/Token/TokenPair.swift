/// The OAuth token pair as stored. `generation` grows by one on every rotation, so when two copies
/// disagree (a database and a local file after an outage) the newer one wins.
public struct TokenPair: Equatable, Sendable, Codable {
    public var accessToken: String?
    public var refreshToken: String
    /// From Trakt's `created_at + expires_in`; nil when unknown (an access token bootstrapped from env).
    public var expiresAt: Double?
    /// When this pair was issued or stored.
    public var rotatedAt: Double
    public var generation: Int

    public init(accessToken: String?, refreshToken: String, expiresAt: Double?, rotatedAt: Double, generation: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.generation = generation
    }

    private enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
        case rotatedAt = "updated_at"
        case generation
    }
}
