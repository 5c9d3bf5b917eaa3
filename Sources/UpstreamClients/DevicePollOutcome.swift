/// One poll of `/oauth/device/token`, by Trakt's documented status codes.
public enum DevicePollOutcome: Equatable, Sendable {
    case authorized(OAuthGrant)
    /// 400: the user has not entered the code yet.
    case pending
    /// 404: the device code is unknown.
    case invalidCode
    /// 409: the code was already used.
    case alreadyUsed
    /// 410: the code expired; start over.
    case expired
    /// 418: the user denied access.
    case denied
    /// 429: polling too fast; poll less often.
    case slowDown
    case failed(UpstreamFailure)
}
