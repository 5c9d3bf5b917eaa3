import FoundationEssentials

/// A successful answer of `/oauth/token` or `/oauth/device/token`.
///
/// Decoded leniently: by the time a 2xx arrives Trakt has spent the old refresh token, so a usable
/// `refresh_token` is kept whatever else is odd. A missing or odd `expires_in` means
/// `assumedLifetime`; `created_at`, `scope` and `token_type` are not needed.
public struct OAuthGrant: Decodable, Equatable, Sendable {
    public var accessToken: String?
    public var refreshToken: String
    public var expiresIn: Double
    public var createdAt: Double?

    private enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresIn = "expires_in"
        case createdAt = "created_at"
    }

    public init(accessToken: String?, refreshToken: String, expiresIn: Double, createdAt: Double?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.createdAt = createdAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let refresh = try container.decode(String.self, forKey: .refreshToken).trimmingCharacters(in: " \t\r\n")
        guard !refresh.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .refreshToken, in: container, debugDescription: "empty")
        }
        refreshToken = refresh
        let access = (try? container.decodeIfPresent(String.self, forKey: .accessToken))?.trimmingCharacters(in: " \t\r\n")
        accessToken = access.flatMap { $0.isEmpty ? nil : $0 }
        expiresIn = Self.lenientSeconds(container, .expiresIn).flatMap { $0 > 0 ? $0 : nil } ?? Self.assumedLifetime
        createdAt = Self.lenientSeconds(container, .createdAt)
    }

    /// A number, or a number in a string; anything else is treated as absent.
    private static func lenientSeconds(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Double? {
        if let number = try? container.decodeIfPresent(Double.self, forKey: key), number.isFinite { return number }
        if let text = try? container.decodeIfPresent(String.self, forKey: key), let number = Double(text), number.isFinite {
            return number
        }
        return nil
    }

    /// Lifetimes have been 3 months, 24 h and 7 days; anything beyond a year is not believed.
    static let longestLifetime = 366.0 * 86_400
    /// The shortest lifetime Trakt has used, assumed when `expires_in` is missing or unreadable. Should
    /// the token die sooner, Trakt's 401 triggers a refresh anyway.
    static let assumedLifetime = 86_400.0

    /// Expiry counted from when the request was sent: Trakt cannot have issued the pair earlier, and our
    /// own clock is the one the due time is compared with (Trakt's `created_at` may be skewed).
    public func expiresAt(requestedAt: Double) -> Double {
        requestedAt + min(max(expiresIn, 0), Self.longestLifetime)
    }
}
