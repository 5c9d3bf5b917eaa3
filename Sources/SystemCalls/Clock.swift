#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock seconds since the epoch. Injected everywhere so the engine can be driven by a test clock.
public struct Clock: Sendable {
    public var now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }

    public static let system = Clock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
