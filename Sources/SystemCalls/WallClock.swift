/// Wall-clock seconds since the epoch. Injected everywhere so the engine can be driven by a test clock.
public struct WallClock: Sendable {
    public var now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }

    public static let system = WallClock { Syscalls.realtimeNow() }
}
