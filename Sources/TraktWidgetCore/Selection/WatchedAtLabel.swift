/// How the page words an item's time: "watched on 2 Aug" when only the day is known (Letterboxd),
/// so a date-only log never reads as a wrong "3 hours ago"; a relative time otherwise.
public enum WatchedAtLabel {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func describe(_ item: WatchedItem, now: Double) -> String? {
        switch item.precision {
        case .day:
            // A valid calendar date (checked by the parse) is ASCII `YYYY-MM-DD`.
            guard Timestamp.parse(item.watchedAt + "T00:00:00Z") != nil, item.watchedAt.utf8.count == 10 else { return nil }
            let digits = Array(item.watchedAt.utf8)
            let month = Int(digits[5] - 48) * 10 + Int(digits[6] - 48)
            let date = Int(digits[8] - 48) * 10 + Int(digits[9] - 48)
            return "watched on \(date) \(months[month - 1])"
        case .instant:
            guard let time = Timestamp.parse(item.watchedAt) else { return nil }
            return "watched " + relative(seconds: max(0, now - time))
        }
    }

    static func relative(seconds: Double) -> String {
        let minutes = Int(saturating: seconds / 60)
        if minutes < 1 { return "just now" }
        if minutes < 60 { return plural(minutes, "minute") + " ago" }
        let hours = minutes / 60
        if hours < 24 { return plural(hours, "hour") + " ago" }
        let days = hours / 24
        if days < 30 { return plural(days, "day") + " ago" }
        let months = days / 30
        if months < 12 { return plural(months, "month") + " ago" }
        return plural(days / 365, "year") + " ago"
    }

    private static func plural(_ count: Int, _ unit: String) -> String {
        count == 1 ? "1 \(unit)" : "\(count) \(unit)s"
    }
}
