import Testing
import TraktWidgetCore

@Suite struct CardOptionsTests {
    static func parse(_ query: String) -> Result<CardOptions, APIError> {
        CardOptions.parse(QueryString(query))
    }

    @Test func defaults() throws {
        let options = try Self.parse("").get()
        #expect(options == CardOptions(theme: .auto, width: 420, limit: 1, radius: 8, hidden: []))
    }

    @Test func everyParameter() throws {
        let options = try Self.parse("theme=dark&width=600&limit=5&radius=0&hide=poster,year&v=2").get()
        #expect(options == CardOptions(theme: .dark, width: 600, limit: 5, radius: 0, hidden: [.poster, .year]))
        #expect(try Self.parse("hide=progress%2Cposter").get().hidden == [.progress, .poster])
    }

    @Test(arguments: [
        ("theme=blue", "theme"), ("width=279", "width"), ("width=601", "width"),
        ("width=4e2", "width"), ("width=-300", "width"), ("width=%20300", "width"), ("limit=0", "limit"),
        ("limit=6", "limit"), ("radius=25", "radius"), ("radius=1.5", "radius"), ("hide=title", "hide"),
        ("hide=poster,,nope", "hide"), ("width=99999999999999999999", "width"),
    ])
    func badValuesNameTheParameter(_ query: String, _ name: String) {
        guard case .failure(let error) = Self.parse(query) else {
            Issue.record("\(query) was accepted")
            return
        }
        #expect(error.status == 400)
        #expect(error.code == .invalidParameter)
        #expect(error.message.hasPrefix("Invalid `\(name)`"))
    }

    @Test func emptyValuesAreDefaults() throws {
        #expect(try Self.parse("theme=&width=&limit=&radius=&hide=").get() == CardOptions())
    }

    @Test func boundsAreInclusive() throws {
        #expect(try Self.parse("width=280&limit=1&radius=24").get().width == 280)
        #expect(try Self.parse("width=600&limit=5&radius=0").get().limit == 5)
    }
}
