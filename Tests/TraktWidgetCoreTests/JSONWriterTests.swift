import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct JSONWriterTests {
    static func quoted(_ value: String) -> String {
        var json = JSONWriter()
        json.string(nil, value)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test func keepsKeyOrderAndCommas() {
        var json = JSONWriter()
        json.beginObject()
        json.string("z", "1")
        json.int("a", 2)
        json.beginObject("m")
        json.bool("t", true)
        json.bool("f", false)
        json.endObject()
        json.null("n")
        json.int("i", nil)
        json.string("s", nil)
        json.beginObject("e")
        json.endObject()
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self)
            == #"{"z":"1","a":2,"m":{"t":true,"f":false},"n":null,"i":null,"s":null,"e":{}}"#)
    }

    @Test func negativeAndLargeIntegers() {
        var json = JSONWriter()
        json.beginObject()
        json.int("a", -5)
        json.int("b", Int.max)
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":-5,"b":9223372036854775807}"#)
    }

    @Test func escapesQuotesAndBackslash() {
        #expect(Self.quoted(#"say "hi" \ bye"#) == #""say \"hi\" \\ bye""#)
    }

    @Test func escapesCommonControlCharactersShort() {
        #expect(Self.quoted("a\nb\rc\td") == #""a\nb\rc\td""#)
    }

    @Test func escapesOtherControlCharactersAsUnicode() {
        #expect(Self.quoted("\u{00}\u{01}\u{08}\u{0B}\u{0C}\u{1B}\u{1F}") == #""\u0000\u0001\u0008\u000b\u000c\u001b\u001f""#)
    }

    @Test func escapesHTMLSignificantCharacters() {
        #expect(Self.quoted("</script><b>&amp;") == #""\u003c/script\u003e\u003cb\u003e\u0026amp;""#)
    }

    @Test func leavesSlashSpaceAndDELAlone() {
        #expect(Self.quoted("https://a/b c\u{7F}") == "\"https://a/b c\u{7F}\"")
    }

    @Test(arguments: ["千と千尋の神隠し", "Amélie", "Ame\u{301}lie", "🎬 Ünïcödé", "\u{2028}\u{2029}"])
    func passesUTF8ThroughByteIdentical(_ text: String) {
        var json = JSONWriter()
        json.string(nil, text)
        #expect(json.bytes == [34] + Array(text.utf8) + [34])
    }

    @Test func escapedOutputDecodesToTheOriginal() throws {
        let original = "q\"b\\s/<>&\n\r\t\u{0}\u{1F}\u{7F}é千🎬"
        var json = JSONWriter()
        json.beginObject()
        json.string("v", original)
        json.endObject()
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(json.bytes))
        #expect(decoded["v"].map { Array($0.utf8) } == Array(original.utf8))
    }
}
