import TokenStorage
import TraktWidgetCore

/// What health reports about the provider's authorization, without the engine knowing which
/// provider or token scheme is behind it.
public struct AuthStatus: Sendable {
    public var mode: HealthReport.Mode
    public var phase: @Sendable () -> TokenPhase
    /// Expiry and last rotation, where the scheme has them (Trakt's pair).
    public var pair: @Sendable () -> TokenPair?
    /// False while a rotated pair is in use that no store has written yet (Trakt's).
    public var persisted: @Sendable () -> Bool

    public init(
        mode: HealthReport.Mode, phase: @escaping @Sendable () -> TokenPhase,
        pair: @escaping @Sendable () -> TokenPair? = { nil }, persisted: @escaping @Sendable () -> Bool = { true }
    ) {
        self.mode = mode
        self.phase = phase
        self.pair = pair
        self.persisted = persisted
    }

    /// No authorization at all (Trakt public mode, Letterboxd): no token can die.
    public static let none = AuthStatus(mode: .public, phase: { .notUsed })

    public static func trakt(_ tokens: TokenManager) -> AuthStatus {
        AuthStatus(mode: .oauth, phase: { tokens.phase }, pair: { tokens.pair }, persisted: { tokens.persisted })
    }
}
