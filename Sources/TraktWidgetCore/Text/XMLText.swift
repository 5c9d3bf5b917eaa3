/// Text made safe for XML 1.0 character data and attribute values.
public enum XMLText {
    /// Escapes the five predefined entities and drops what XML 1.0 forbids (C0 controls other than TAB,
    /// LF and CR, U+FFFE and U+FFFF). One stray `&` or control character makes the whole SVG invalid,
    /// and an invalid SVG behind camo is a broken-image icon with no message.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if isAllowed(scalar) { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    /// The XML 1.0 `Char` production (surrogates cannot occur in a Swift string).
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 { return value == 0x09 || value == 0x0A || value == 0x0D }
        return value != 0xFFFE && value != 0xFFFF
    }

    /// The same text with forbidden characters removed, for measuring before escaping.
    public static func dropForbidden(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: text.unicodeScalars.filter(isAllowed))
        return result
    }
}
