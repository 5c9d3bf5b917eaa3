import TraktWidgetCore

/// What a store holds about tokens.
public struct TokenRecord: Equatable, Sendable, Codable {
    public var pair: TokenPair?
    /// Whether any token was ever stored. Once true, a `TRAKT_REFRESH_TOKEN` from the environment is
    /// never used again: it has almost certainly been rotated away, and spending it would fail.
    public var everHeld: Bool
    /// Trakt answered `invalid_grant` to this pair's refresh token; don't spend it again.
    public var rejected: Bool

    public init(pair: TokenPair? = nil, everHeld: Bool = false, rejected: Bool = false) {
        self.pair = pair
        self.everHeld = everHeld
        self.rejected = rejected
    }

    private enum CodingKeys: String, CodingKey {
        case pair = "tokens"
        case everHeld = "ever_held"
        case rejected
    }
}
