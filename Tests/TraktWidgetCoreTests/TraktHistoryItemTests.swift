import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct TraktHistoryItemTests {
    // MARK: Recorded fixtures

    @Test func decodesRecordedMovieHistory() throws {
        let items = try Fixture.decode([TraktHistoryItem].self, "trakt-history-movies.json")
        #expect(items.count == 25)
        let first = try #require(items.first)
        #expect(first.watchedAt == "2014-03-31T09:28:53.000Z")
        #expect(first.episode == nil)
        #expect(first.show == nil)
        let movie = try #require(first.movie)
        #expect(movie.title == "The Dark Knight")
        #expect(movie.year == 2008)
        #expect(movie.ids == TraktIDs(trakt: 4, slug: "the-dark-knight-2008", imdb: "tt0468569", tmdb: 155))
        #expect(items.allSatisfy { $0.movie != nil && Timestamp.parse($0.watchedAt) != nil })
    }

    @Test func decodesRecordedEpisodeHistory() throws {
        let items = try Fixture.decode([TraktHistoryItem].self, "trakt-history-episodes.json")
        #expect(items.count == 3)
        let first = try #require(items.first)
        #expect(first.watchedAt == "2014-03-31T09:28:53.000Z")
        #expect(first.movie == nil)
        let episode = try #require(first.episode)
        #expect(episode.season == 2)
        #expect(episode.number == 1)
        #expect(episode.title == "Pawnee Zoo")
        // The fixture's episode has `"imdb": null` and an extra `tvdb` id.
        #expect(episode.ids == TraktIDs(trakt: 251, slug: nil, imdb: nil, tmdb: 397629))
        let show = try #require(first.show)
        #expect(show.title == "Parks and Recreation")
        #expect(show.year == 2009)
        #expect(show.ids == TraktIDs(trakt: 4, slug: "parks-and-recreation", imdb: "tt1266020", tmdb: 8592))
    }

    @Test func recordedEpisodeFormatsWithTheShowsPoster() throws {
        let item = try #require(try Fixture.decode([TraktHistoryItem].self, "trakt-history-episodes.json").first)
        #expect(WatchedItemFormatter.posterReference(for: item) == PosterReference(kind: .tv, tmdbID: 8592))
        let formatted = try #require(WatchedItemFormatter.format(item, posterPath: "/p.jpg", images: ImageSettings()))
        #expect(formatted.url == "https://trakt.tv/shows/parks-and-recreation/seasons/2/episodes/1")
        #expect(formatted.title == "Pawnee Zoo")
        #expect(formatted.year == 2009)
    }

    // MARK: Lenient decoding

    @Test func nullDescriptiveFields() throws {
        let json = """
        [{"watched_at":"2024-01-01T00:00:00.000Z","movie":{"title":null,"year":null,
          "ids":{"trakt":null,"slug":null,"imdb":null,"tmdb":null}}}]
        """
        let item = try #require(try Fixture.decode([TraktHistoryItem].self, json: json).first)
        let movie = try #require(item.movie)
        #expect(movie.title == nil)
        #expect(movie.year == nil)
        #expect(movie.ids == TraktIDs())
    }

    @Test func missingDescriptiveFields() throws {
        let json = #"{"watched_at":"2024-01-01T00:00:00.000Z","movie":{}}"#
        let item = try Fixture.decode(TraktHistoryItem.self, json: json)
        #expect(item.movie == TraktHistoryItem.Movie(title: nil, year: nil, ids: TraktIDs()))
    }

    @Test func wrongTypedFieldsBecomeNilWithoutLosingTheRest() throws {
        let json = """
        {"watched_at":"2024-01-01T00:00:00.000Z","movie":{"title":123,"year":"2008",
          "ids":{"trakt":"4","slug":42,"imdb":["tt1"],"tmdb":"155"}},
         "episode":{"season":"2","number":3.5,"title":false,"ids":"nope"},
         "show":{"title":"Show","year":2009,"ids":{"slug":"show","tmdb":8592}}}
        """
        let item = try Fixture.decode(TraktHistoryItem.self, json: json)
        #expect(item.movie == TraktHistoryItem.Movie(title: nil, year: nil, ids: TraktIDs()))
        #expect(item.episode == TraktHistoryItem.Episode(season: nil, number: nil, title: nil, ids: TraktIDs()))
        #expect(item.show == TraktHistoryItem.Movie(title: "Show", year: 2009, ids: TraktIDs(slug: "show", tmdb: 8592)))
    }

    @Test func wrongTypedObjectsBecomeNil() throws {
        let json = #"{"watched_at":"2024-01-01T00:00:00.000Z","movie":"oops","episode":[1],"show":7}"#
        let item = try Fixture.decode(TraktHistoryItem.self, json: json)
        #expect(item.movie == nil)
        #expect(item.episode == nil)
        #expect(item.show == nil)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let json = """
        {"id":1,"action":"scrobble","type":"movie","watched_at":"2024-01-01T00:00:00.000Z",
         "movie":{"title":"T","year":1,"tagline":"x","ids":{"slug":"t","tvdb":5,"tmdb":2}},"extra":{"a":[1,2]}}
        """
        let item = try Fixture.decode(TraktHistoryItem.self, json: json)
        #expect(item.movie == TraktHistoryItem.Movie(title: "T", year: 1, ids: TraktIDs(slug: "t", tmdb: 2)))
    }

    @Test(arguments: [
        #"{"movie":{"title":"T"}}"#,
        #"{"watched_at":null,"movie":{"title":"T"}}"#,
        #"{"watched_at":1396258133,"movie":{"title":"T"}}"#,
    ])
    func entryWithoutUsableWatchedAtFails(_ json: String) {
        #expect(throws: DecodingError.self) {
            try Fixture.decode(TraktHistoryItem.self, json: json)
        }
    }

    @Test func emptyHistory() throws {
        #expect(try Fixture.decode([TraktHistoryItem].self, json: "[]").isEmpty)
    }
}
