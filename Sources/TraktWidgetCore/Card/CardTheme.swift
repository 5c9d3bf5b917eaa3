/// The card's colours. `auto` carries both palettes and lets `prefers-color-scheme` pick inside the SVG;
/// it follows the viewer's system setting, which is why the docs also offer the `<picture>` pair.
public enum CardTheme: String, CaseIterable, Sendable {
    case light
    case dark
    case auto

    struct Palette {
        var background: String
        var border: String
        var text: String
        var muted: String
        var accent: String
        var track: String
        var placeholder: String
        var placeholderMark: String

        /// Class rules: `.b` background, `.t` text, `.m` muted, `.a` accent, `.k` progress track,
        /// `.p` placeholder, `.q` its mark.
        var rules: String {
            ".b{fill:\(background);stroke:\(border)}.t{fill:\(text)}.m{fill:\(muted)}.a{fill:\(accent)}"
                + ".k{fill:\(track)}.p{fill:\(placeholder)}.q{fill:\(placeholderMark)}"
        }
    }

    static let lightPalette = Palette(
        background: "#ffffff", border: "#d0d7de", text: "#1f2328", muted: "#59636e", accent: "#d6262e",
        track: "#e6eaef", placeholder: "#eef1f4", placeholderMark: "#9aa4ae"
    )

    static let darkPalette = Palette(
        background: "#0d1117", border: "#30363d", text: "#e6edf3", muted: "#9198a1", accent: "#f85149",
        track: "#262c36", placeholder: "#161b22", placeholderMark: "#59636e"
    )

    /// The `<style>` rules for this theme.
    var styleRules: String {
        switch self {
        case .light: Self.lightPalette.rules
        case .dark: Self.darkPalette.rules
        case .auto: Self.lightPalette.rules + "@media (prefers-color-scheme:dark){\(Self.darkPalette.rules)}"
        }
    }
}
