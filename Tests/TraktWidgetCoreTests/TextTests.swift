import Testing
import TraktWidgetCore

@Suite struct TextTests {
    @Test func eastAsianWideCountsDouble() {
        #expect(DisplayWidth.units(of: "千と千尋") == 2 * DisplayWidth.units(of: "abcd"))
        #expect(DisplayWidth.units(of: "기생충") == 6)
        #expect(DisplayWidth.units(of: "ＡＢ") == 4)
        #expect(DisplayWidth.units(of: "🎬") == 2)
        #expect(DisplayWidth.units(of: "e\u{301}") == 1)
    }

    @Test func truncationKeepsWholeClustersAndAddsAnEllipsis() {
        #expect(DisplayWidth.truncate("abcdef", toUnits: 6) == "abcdef")
        #expect(DisplayWidth.truncate("abcdefgh", toUnits: 6) == "abcde…")
        #expect(DisplayWidth.truncate("ab cdefgh", toUnits: 4) == "ab…")
        #expect(DisplayWidth.truncate("千と千尋の神隠し", toUnits: 8) == "千と千…")
        #expect(DisplayWidth.truncate("🇯🇵🇯🇵🇯🇵", toUnits: 5) == "🇯🇵🇯🇵…")
        #expect(DisplayWidth.truncate("abc", toUnits: 0.5) == "…")
    }

    @Test func directionComesFromTheFirstStrongCharacter() {
        #expect(TextDirection(of: "שלום") == .rightToLeft)
        #expect(TextDirection(of: "2001: אודיסאה") == .rightToLeft)
        #expect(TextDirection(of: "Amélie — שלום") == .leftToRight)
        #expect(TextDirection(of: "123") == .leftToRight)
    }

    @Test func xmlEscaping() {
        #expect(XMLText.escape("<a href='x'>&\"</a>") == "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;")
        #expect(XMLText.escape("a\u{0}b\u{8}c\td\u{FFFE}") == "abc\td")
    }

    @Test func relativeTime() {
        #expect(RelativeTime.describe(-5) == "just now")
        #expect(RelativeTime.describe(59) == "just now")
        #expect(RelativeTime.describe(60) == "1 minute ago")
        #expect(RelativeTime.describe(3 * 3600 + 59) == "3 hours ago")
        #expect(RelativeTime.describe(86_400 * 2) == "2 days ago")
        #expect(RelativeTime.describe(86_400 * 400) == "1 year ago")
        #expect(RelativeTime.describeDays(0) == "today")
        #expect(RelativeTime.describeDays(1) == "yesterday")
        #expect(RelativeTime.describeDays(3) == "3 days ago")
    }

    @Test func queryStringDecoding() {
        let query = QueryString("a=1&b=x%20y+z&c&a=2&bad=%ZZ&utf=%E5%8D%83")
        #expect(query["a"] == "1")
        #expect(query["b"] == "x y z")
        #expect(query["c"] == nil, "empty is absent, as for nginx's $arg_c")
        #expect(query["bad"] == "\u{FFFD}")
        #expect(query["utf"] == "千")
        #expect(query["missing"] == nil)
    }

    @Test func posterSniffing() {
        #expect(PosterImage(bytes: [0xFF, 0xD8, 0xFF, 0xDB])?.mimeType == "image/jpeg")
        #expect(PosterImage(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0])?.mimeType == "image/png")
        #expect(PosterImage(bytes: Array("RIFF\0\0\0\0WEBPVP8 ".utf8))?.mimeType == "image/webp")
        #expect(PosterImage(bytes: Array("<html>404</html>".utf8)) == nil)
        #expect(PosterImage(bytes: []) == nil)
    }

    @Test func progressIsClamped() {
        #expect(CardRow.progress(startedAt: 0, expiresAt: 100, now: 40) == 0.4)
        #expect(CardRow.progress(startedAt: 0, expiresAt: 100, now: 400) == 1)
        #expect(CardRow.progress(startedAt: 0, expiresAt: 100, now: -4) == 0)
        #expect(CardRow.progress(startedAt: 100, expiresAt: 100, now: 100) == 0)
    }
}
