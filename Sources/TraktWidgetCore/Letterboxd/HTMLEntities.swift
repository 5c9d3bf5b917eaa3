/// Decodes the HTML entities Letterboxd leaves in titles after XML decoding (its feed double-escapes
/// some, e.g. `&amp;#039;` arrives as `&#039;`). Numeric references and the few named ones that occur
/// in film titles; an unknown entity is left as written.
public enum HTMLEntities {
    private static let named: [Substring: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
    ]

    public static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let afterAmpersand = rest.index(after: ampersand)
            let candidate = rest[afterAmpersand...].prefix(12)
            if let semicolon = candidate.firstIndex(of: ";"), let decoded = entity(rest[afterAmpersand..<semicolon]) {
                result += decoded
                rest = rest[rest.index(after: semicolon)...]
            } else {
                result += "&"
                rest = rest[afterAmpersand...]
            }
        }
        return result + rest
    }

    private static func entity(_ name: Substring) -> String? {
        if let value = named[name] { return value }
        guard name.first == "#" else { return nil }
        let digits = name.dropFirst()
        let code: UInt32? = if digits.first == "x" || digits.first == "X" {
            UInt32(digits.dropFirst(), radix: 16)
        } else {
            UInt32(digits, radix: 10)
        }
        guard let code, code != 0, let scalar = Unicode.Scalar(code) else { return nil }
        return String(Character(scalar))
    }
}
