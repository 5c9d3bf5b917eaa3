import TraktWidgetCore

/// What a refresh decided while holding the store's cross-process lock. Why a refresh failed is the
/// caller's business, not the store's: the store only learns whether to write.
public enum RotationDecision: Sendable {
    /// The stored pair is newer than ours and usable: another process already rotated it.
    case adopt
    /// Trakt issued this pair; the store makes it durable before anyone uses it.
    case replace(TokenPair)
    /// Trakt rejected the stored refresh token (`invalid_grant`).
    case rejected
    /// The refresh failed for a passing reason; nothing changes.
    case keep
}
