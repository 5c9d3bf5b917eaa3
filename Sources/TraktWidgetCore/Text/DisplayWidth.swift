/// Text width estimated without a font: an SVG shown through `<img>` cannot measure text at run time and
/// has no `text-overflow`, so the server must shorten titles itself.
///
/// Widths are in *units* of about 0.56 em (a lowercase Latin letter in a bold sans-serif). East Asian
/// wide and fullwidth characters and emoji count 2 units (double), narrow Latin glyphs half, capitals a
/// little more than one.
public enum DisplayWidth {
    public static let ellipsis: Character = "…"

    public static func units(of text: String) -> Double {
        text.reduce(0) { $0 + units(of: $1) }
    }

    /// One grapheme cluster: its first scalar decides, except that any emoji presentation (a
    /// pictograph, a flag, an ZWJ sequence, a keycap) makes it a double-width emoji.
    public static func units(of character: Character) -> Double {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if isEmoji(character) { return 2 }
        if isWide(first) { return 2 }
        switch first.value {
        case 0x20, 0x21, 0x27, 0x2C, 0x2E, 0x3A, 0x3B, 0x49, 0x69, 0x6A, 0x6C, 0x7C, 0x66, 0x74, 0x2F, 0x28, 0x29:
            return 0.5
        case 0x41...0x5A, 0x6D, 0x77:
            return 1.3
        default:
            // Zero-width characters (joiners, marks on their own, format controls) take no room.
            return first.properties.generalCategory == .format || first.properties.generalCategory == .nonspacingMark ? 0 : 1
        }
    }

    static func isEmoji(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        if scalars.contains(where: { $0.properties.isEmojiPresentation }) { return true }
        // Text-default emoji made emoji by VS16 (U+FE0F), or joined by a ZWJ.
        if scalars.count > 1, scalars.contains(where: { $0.value == 0xFE0F || $0.value == 0x200D }),
           scalars.first?.properties.isEmoji == true {
            return true
        }
        return false
    }

    /// East Asian Width W or F (Unicode 15 `EastAsianWidth.txt`, the ranges that hold letters and
    /// punctuation; emoji are handled separately).
    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
             0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1B000...0x1B2FF, 0x20000...0x2FFFD,
             0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `text` if it fits in `maximum` units, else the longest prefix of whole grapheme clusters that
    /// fits together with a trailing "…". Cutting between clusters never splits an emoji sequence or
    /// separates a letter from its combining marks.
    public static func truncate(_ text: String, toUnits maximum: Double) -> String {
        if units(of: text) <= maximum { return text }
        let budget = maximum - units(of: ellipsis)
        var used = 0.0
        var end = text.startIndex
        for index in text.indices {
            let width = units(of: text[index])
            if used + width > budget { break }
            used += width
            end = text.index(after: index)
        }
        var kept = text[..<end]
        while kept.last?.isWhitespace == true { kept = kept.dropLast() }
        return kept.isEmpty ? String(ellipsis) : kept + String(ellipsis)
    }
}
