import Testing
import TraktWidgetCore

@Suite struct TMDBDetailsTests {
    @Test func decodesRecordedMovie() throws {
        // The fixture also has a nested `belongs_to_collection.poster_path`; the top-level one counts.
        let details = try Fixture.decode(TMDBDetails.self, "tmdb-movie.json")
        #expect(details.posterPath == "/6FfCtAuVAW8XJjZ7eWeLibRLWTw.jpg")
    }

    @Test func decodesRecordedTV() throws {
        let details = try Fixture.decode(TMDBDetails.self, "tmdb-tv.json")
        #expect(details.posterPath == "/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg")
    }

    @Test(arguments: ["{}", #"{"poster_path":null}"#, #"{"poster_path":42}"#, #"{"poster_path":{"a":1}}"#])
    func missingNullOrWrongTypedPosterIsNil(_ json: String) throws {
        #expect(try Fixture.decode(TMDBDetails.self, json: json).posterPath == nil)
    }
}
