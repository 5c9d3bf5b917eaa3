/// RSS `pubDate` (`Sat, 27 Jun 2026 00:17:04 +1200`) as seconds since the epoch; nil for anything else.
/// Only used to order entries logged on the same day, so only the numeric-offset and `GMT` forms
/// Letterboxd writes are read.
public enum RFC822Date {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func parse(_ text: String) -> Double? {
        var fields = text.split(separator: " ").map(String.init)
        if let first = fields.first, first.hasSuffix(",") { fields.removeFirst() }
        guard fields.count == 5, let day = Int(fields[0]), let monthIndex = months.firstIndex(of: fields[1]),
              let year = Int(fields[2]), fields[3].utf8.count == 8
        else { return nil }
        let iso = String(format4(year)) + "-" + two(monthIndex + 1) + "-" + two(day) + "T" + fields[3]
        guard let zone = offset(fields[4]), let local = Timestamp.parse(iso + "Z") else { return nil }
        return local - zone
    }

    private static func offset(_ zone: String) -> Double? {
        if zone == "GMT" || zone == "UT" || zone == "Z" { return 0 }
        let bytes = Array(zone.utf8)
        guard bytes.count == 5, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
              let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2))
        else { return nil }
        let seconds = Double(hours * 3600 + minutes * 60)
        return bytes[0] == UInt8(ascii: "-") ? -seconds : seconds
    }

    private static func two(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }

    private static func format4(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
