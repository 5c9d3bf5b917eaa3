/// What a card shows: rows (newest first, a watching row on top), or one of the two message cards.
public enum CardContent: Equatable, Sendable {
    case rows([CardRow])
    /// Nothing watched yet.
    case empty
    /// Upstream failed and nothing is cached. The card says only that; operator detail stays in health.
    case unavailable
}
