/// Upstream timeouts in seconds: connect, and the whole transfer.
public struct Timeouts: Equatable, Sendable {
    public var connect: Double
    public var total: Double

    public static let standard = Timeouts(connect: 3, total: 8)

    public init(connect: Double, total: Double) {
        self.connect = connect
        self.total = total
    }
}
