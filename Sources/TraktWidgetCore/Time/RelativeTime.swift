/// "3 hours ago": how long ago something happened, in the largest whole unit.
public enum RelativeTime {
    public static func describe(_ seconds: Double) -> String {
        let elapsed = max(0, Int(saturating: seconds))
        if elapsed < 60 { return "just now" }
        let units: [(Int, String)] = [(31_536_000, "year"), (2_592_000, "month"), (604_800, "week"),
                                      (86_400, "day"), (3600, "hour"), (60, "minute")]
        for (size, name) in units where elapsed >= size {
            let count = elapsed / size
            return count == 1 ? "1 \(name) ago" : "\(count) \(name)s ago"
        }
        return "just now"
    }

    /// For a date without a time: "today", "yesterday", then as `describe`.
    public static func describeDays(_ days: Int) -> String {
        switch days {
        case ..<1: "today"
        case 1: "yesterday"
        default: describe(Double(days) * 86_400)
        }
    }
}
