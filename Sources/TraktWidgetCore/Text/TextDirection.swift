/// The base direction of a line of text, from its first strongly directional character (the Unicode
/// bidi algorithm's rule P2), so a Hebrew or Arabic title is laid out right to left.
public enum TextDirection: Equatable, Sendable {
    case leftToRight
    case rightToLeft

    public init(of text: String) {
        for scalar in text.unicodeScalars {
            if Self.isRightToLeft(scalar) {
                self = .rightToLeft
                return
            }
            if scalar.properties.isAlphabetic {
                self = .leftToRight
                return
            }
        }
        self = .leftToRight
    }

    /// Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic and their presentation forms, and the
    /// supplementary right-to-left blocks.
    static func isRightToLeft(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0590...0x08FF, 0xFB1D...0xFDFF, 0xFE70...0xFEFF, 0x10800...0x10FFF, 0x1E800...0x1EFFF:
            // Combining marks inside these blocks are not strong.
            return scalar.properties.generalCategory != .nonspacingMark
        default:
            return false
        }
    }
}
