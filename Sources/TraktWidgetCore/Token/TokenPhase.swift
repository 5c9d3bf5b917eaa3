/// Where the token lifecycle stands; its raw value is what health and `check` print.
public enum TokenPhase: String, Sendable, Equatable {
    /// Public mode: no OAuth, so no token can die.
    case notUsed = "not_used"
    case missing
    case valid
    case refreshDue = "refresh_due"
    case refreshing
    case reauthRequired = "reauth_required"
}
