extension Int {
    /// `value` rounded down, saturated at the bounds of `Int`, and 0 for NaN. `Int(_: Double)` traps on
    /// anything out of range, and some of these numbers come from upstream (`expires_in`, `Retry-After`).
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int(value.rounded(.down))
        }
    }
}
