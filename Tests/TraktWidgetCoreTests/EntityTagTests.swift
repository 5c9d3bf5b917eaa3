import Testing
import TraktWidgetCore

@Suite struct EntityTagTests {
    static let body = Array(#"{"ok":true,"data":null,"cached_at":"1970-01-01T00:00:00.000Z"}"#.utf8)

    @Test func knownFNV1aValues() {
        #expect(EntityTag.of([]) == "\"cbf29ce484222325\"")
        #expect(EntityTag.of(Array("a".utf8)) == "\"af63dc4c8601ec8c\"")
        #expect(EntityTag.of(Array("foobar".utf8)) == "\"85944171f73967e8\"")
    }

    @Test func formatIsSixteenLowercaseHexDigitsInQuotes() {
        for body in [[], Self.body, Array("x".utf8), [UInt8](repeating: 0, count: 4096)] {
            let tag = EntityTag.of(body)
            #expect(tag.utf8.count == 18)
            #expect(tag.first == "\"" && tag.last == "\"")
            #expect(tag.dropFirst().dropLast().allSatisfy { "0123456789abcdef".contains($0) })
        }
    }

    @Test func leadingZeroesArePadded() throws {
        // Find a body whose hash is below 2^60 so the hex form needs padding.
        var found: String?
        for index in 0..<100_000 where found == nil {
            let tag = EntityTag.of(Array("body \(index)".utf8))
            if tag.hasPrefix("\"0") { found = tag }
        }
        let tag = try #require(found)
        #expect(tag.utf8.count == 18)
    }

    @Test func stableAndContentSensitive() {
        #expect(EntityTag.of(Self.body) == EntityTag.of(Array(Self.body)))
        var changed = Self.body
        changed[changed.count - 3] ^= 1
        #expect(EntityTag.of(changed) != EntityTag.of(Self.body))
        #expect(EntityTag.of(Self.body + [32]) != EntityTag.of(Self.body))
    }

    // MARK: If-None-Match

    static let tag = EntityTag.of(body)
    static var opaque: Substring { tag.dropFirst().dropLast() }

    @Test func exactMatch() {
        #expect(EntityTag.ifNoneMatch(Self.tag, matches: Self.tag))
    }

    @Test func weakMatch() {
        #expect(EntityTag.ifNoneMatch("W/" + Self.tag, matches: Self.tag))
    }

    @Test func listMatch() {
        #expect(EntityTag.ifNoneMatch("\"aaaa\", \(Self.tag)", matches: Self.tag))
        #expect(EntityTag.ifNoneMatch("\"aaaa\",\t W/\(Self.tag) ,\"bbbb\"", matches: Self.tag))
    }

    @Test func star() {
        #expect(EntityTag.ifNoneMatch("*", matches: Self.tag))
        #expect(EntityTag.ifNoneMatch(" * ", matches: Self.tag))
    }

    @Test func otherTagDoesNotMatch() {
        #expect(!EntityTag.ifNoneMatch("\"0000000000000000\"", matches: Self.tag))
        #expect(!EntityTag.ifNoneMatch("\"aaaa\", W/\"bbbb\"", matches: Self.tag))
    }

    @Test func malformedNeverMatches() {
        for header in [
            String(Self.opaque),                  // unquoted
            "\"" + Self.opaque,                  // unterminated
            Self.opaque + "\"",
            "w/" + Self.tag,                      // lowercase weak prefix
            "W/",
            "\"",
            "",
            ",,,",
            "\"\(Self.opaque)\"\"",
            "\"\(Self.opaque.dropLast())\"",
        ] {
            #expect(!EntityTag.ifNoneMatch(header, matches: Self.tag), "\(header)")
        }
    }

    @Test func missingHeaderNeverMatches() {
        #expect(!EntityTag.ifNoneMatch(nil, matches: Self.tag))
    }
}
