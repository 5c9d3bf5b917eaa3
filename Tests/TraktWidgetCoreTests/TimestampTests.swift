import Testing
@testable import TraktWidgetCore

@Suite struct TimestampTests {
    // 2014-03-31T09:28:53Z, as computed by Python's calendar.timegm.
    static let traktExample = 1_396_258_133.0

    @Test func parsesTraktsFormatWithMilliseconds() {
        #expect(Timestamp.parse("2014-03-31T09:28:53.000Z") == Self.traktExample)
    }

    @Test func parsesWithoutFraction() {
        #expect(Timestamp.parse("2014-03-31T09:28:53Z") == Self.traktExample)
    }

    @Test func parsesAFraction() {
        #expect(Timestamp.parse("2014-03-31T09:28:53.5Z") == Self.traktExample + 0.5)
        #expect(Timestamp.parse("2014-03-31T09:28:53.250000Z") == Self.traktExample + 0.25)
    }

    @Test(arguments: [
        "2014-03-31T11:28:53+02:00",
        "2014-03-31T11:28:53.000+02:00",
        "2014-03-31T04:28:53-05:00",
        "2014-03-31T11:28:53+0200",
        "2014-03-31T09:28:53+00:00",
        "2014-03-31T09:28:53-00:00",
        "2014-03-31T14:58:53+05:30",
        "2014-03-31T09:28:53z",
        "2014-03-31 09:28:53Z",
    ])
    func parsesOffsetsAndVariants(_ text: String) {
        #expect(Timestamp.parse(text) == Self.traktExample)
    }

    @Test(arguments: [
        "",
        "garbage",
        "2014-03-31",
        "2014-03-31T09:28:53",  // no zone: ambiguous, refused
        "2014-03-31T09:28Z",
        "2014-3-31T09:28:53Z",
        "14-03-31T09:28:53Z",
        "2014-03-31X09:28:53Z",
        "2014/03/31T09:28:53Z",
        "2014-00-10T00:00:00Z",
        "2014-13-01T00:00:00Z",
        "2014-03-00T00:00:00Z",
        "2014-03-32T00:00:00Z",
        "2014-03-31T24:00:00Z",
        "2014-03-31T23:60:00Z",
        "2014-03-31T23:59:61Z",
        "2014-03-31T09:28:53.Z",
        "2014-03-31T09:28:53.000",
        "2014-03-31T09:28:53.000Zjunk",
        "2014-03-31T09:28:53.000Z ",
        " 2014-03-31T09:28:53.000Z",
        "2014-03-31T09:28:53+02",
        "2014-03-31T09:28:53+2:00",
        "2014-03-31T09:28:53+02:0",
        "2014-03-31T09:28:53UTC",
        "２０１４-03-31T09:28:53Z",  // full-width digits
        "-014-03-31T09:28:53Z",
    ])
    func rejectsInvalidInput(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test(arguments: [
        "2023-02-29T00:00:00Z",  // 2023 is not a leap year
        "2100-02-29T00:00:00Z",  // divisible by 100, not by 400: not a leap year
        "2014-04-31T00:00:00Z",  // April has 30 days
        "2014-02-30T00:00:00Z",
        "2014-06-31T00:00:00Z",
    ])
    func rejectsDaysThatDoNotExistInTheMonth(_ text: String) {
        // Otherwise "2023-02-29" silently becomes 2023-03-01.
        #expect(Timestamp.parse(text) == nil, "\(text) is not a calendar date")
    }

    @Test func leapYears() {
        #expect(Timestamp.parse("2000-02-29T00:00:00Z") == 951_782_400)
        #expect(Timestamp.parse("2024-02-29T12:00:00Z") == 1_709_208_000)
        #expect(Timestamp.parse("2100-03-01T00:00:00Z") == 4_107_542_400)
        #expect(Timestamp.format(951_782_400) == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp.format(1_709_208_000) == "2024-02-29T12:00:00.000Z")
        // The day after 2100-02-28 is 2100-03-01.
        #expect(Timestamp.format(4_107_542_400 - 86_400) == "2100-02-28T00:00:00.000Z")
    }

    @Test func epochEdges() {
        #expect(Timestamp.parse("1970-01-01T00:00:00.000Z") == 0)
        #expect(Timestamp.parse("1969-12-31T23:59:59Z") == -1)
        #expect(Timestamp.parse("1900-01-01T00:00:00Z") == -2_208_988_800)
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") == 253_402_300_799)
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(-1) == "1969-12-31T23:59:59.000Z")
        #expect(Timestamp.format(-0.001) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.format(-2_208_988_800) == "1900-01-01T00:00:00.000Z")
        #expect(Timestamp.format(253_402_300_799) == "9999-12-31T23:59:59.000Z")
    }

    @Test func formatsTraktsShape() {
        #expect(Timestamp.format(Self.traktExample) == "2014-03-31T09:28:53.000Z")
        #expect(Timestamp.format(Self.traktExample + 0.5) == "2014-03-31T09:28:53.500Z")
        // Sub-millisecond digits are cut, never rounded up into the next second.
        #expect(Timestamp.format(Self.traktExample + 0.9999) == "2014-03-31T09:28:53.999Z")
    }

    @Test(arguments: ["000", "001", "010", "100", "123", "250", "456", "500", "678", "789", "999"])
    func roundTripsMilliseconds(_ millis: String) throws {
        for base in ["2014-03-31T09:28:53", "2025-10-28T12:34:56", "1970-01-01T00:00:00", "1969-12-31T23:59:58"] {
            let text = "\(base).\(millis)Z"
            let parsed = try #require(Timestamp.parse(text))
            #expect(Timestamp.format(parsed) == text)
        }
    }

    @Test func roundTripsWholeSeconds() {
        for seconds in stride(from: -86_400.0 * 800, through: 86_400.0 * 20_000, by: 86_400 * 37 + 3_671) {
            #expect(Timestamp.parse(Timestamp.format(seconds)) == seconds)
        }
    }

    @Test func civilConversionsAreInverse() {
        for days in stride(from: -800_000, through: 3_000_000, by: 997) {
            let (year, month, day) = Timestamp.civilFromDays(days)
            #expect(Timestamp.daysFromCivil(year: year, month: month, day: day) == days)
        }
    }
}
