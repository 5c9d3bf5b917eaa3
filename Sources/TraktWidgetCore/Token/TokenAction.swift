/// What the caller must do before calling Trakt, as decided by `TokenLifecycle`.
public enum TokenAction: Equatable, Sendable {
    case use(accessToken: String)
    /// Rotate first, spending this refresh token (single-use at Trakt).
    case refresh(refreshToken: String)
    /// Nothing usable is left; only `trakt-widget auth` helps.
    case reauthRequired
}
