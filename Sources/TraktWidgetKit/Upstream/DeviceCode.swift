/// The answer of `/oauth/device/code`: what the user types, where, and how to poll.
public struct DeviceCode: Decodable, Equatable, Sendable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURL: String
    public var expiresIn: Double
    public var interval: Double

    private enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code"
        case userCode = "user_code"
        case verificationURL = "verification_url"
        case expiresIn = "expires_in"
        case interval
    }
}
