import FoundationEssentials

/// `GET /oauth/pin`: the code to show the user and how to poll for it. `device_code` is a literal
/// placeholder in Simkl's answers and is ignored; only `user_code` matters.
public struct SimklPinCode: Decodable, Equatable, Sendable {
    public static let defaultInterval = 5.0
    public static let defaultLifetime = 900.0

    public var userCode: String
    public var verificationURL: String
    /// Seconds between polls, and how long the code lives; bounded so an odd answer cannot make the
    /// CLI spin or wait for days.
    public var interval: Double
    public var lifetime: Double

    public init(userCode: String, verificationURL: String, interval: Double, lifetime: Double) {
        self.userCode = userCode
        self.verificationURL = verificationURL
        self.interval = interval
        self.lifetime = lifetime
    }

    private enum CodingKeys: String, CodingKey {
        case userCode = "user_code"
        case verificationURI = "verification_uri"
        case verificationURL = "verification_url"
        case interval
        case expiresIn = "expires_in"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userCode = try container.decode(String.self, forKey: .userCode)
        verificationURL = (try? container.decodeIfPresent(String.self, forKey: .verificationURI))
            ?? (try? container.decodeIfPresent(String.self, forKey: .verificationURL)) ?? "https://simkl.com/pin"
        let interval = (try? container.decodeIfPresent(Double.self, forKey: .interval)) ?? Self.defaultInterval
        let lifetime = (try? container.decodeIfPresent(Double.self, forKey: .expiresIn)) ?? Self.defaultLifetime
        self.interval = interval.isFinite ? min(max(interval, 1), 60) : Self.defaultInterval
        self.lifetime = lifetime.isFinite ? min(max(lifetime, 1), 3600) : Self.defaultLifetime
    }

    public static func parse(_ body: [UInt8]) -> SimklPinCode? {
        try? JSONDecoder().decode(SimklPinCode.self, from: Data(body))
    }
}
