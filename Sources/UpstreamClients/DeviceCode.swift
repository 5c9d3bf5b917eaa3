/// The answer of `/oauth/device/code`: what the user types, where, and how to poll.
public struct DeviceCode: Decodable, Equatable, Sendable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURL: String
    public var expiresIn: Double
    public var interval: Double

    /// Polling faster than once a second is refused by Trakt, slower than a minute wastes the code.
    public var pollInterval: Double { min(max(interval, 1), 60) }
    /// Codes live minutes; a day bounds an absurd value.
    public var lifetime: Double { min(max(expiresIn, 0), 86_400) }

    private enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code"
        case userCode = "user_code"
        case verificationURL = "verification_url"
        case expiresIn = "expires_in"
        case interval
    }
}
