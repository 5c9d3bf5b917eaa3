import Testing
import TraktWidgetCore

@Suite struct NewestItemTests {
    static func movie(_ watchedAt: String) -> TraktHistoryItem {
        TraktHistoryItem(watchedAt: watchedAt, movie: .init(title: "Movie", year: 2000, ids: TraktIDs(slug: "movie")))
    }

    static func episode(_ watchedAt: String) -> TraktHistoryItem {
        TraktHistoryItem(
            watchedAt: watchedAt,
            episode: .init(season: 1, number: 1, title: "Pilot", ids: TraktIDs()),
            show: .init(title: "Show", year: 2001, ids: TraktIDs(slug: "show"))
        )
    }

    @Test func movieNewer() {
        let movie = Self.movie("2024-05-02T10:00:00.000Z")
        let episode = Self.episode("2024-05-01T10:00:00.000Z")
        #expect(NewestItem.choose(movie: movie, episode: episode) == movie)
    }

    @Test func episodeNewer() {
        let movie = Self.movie("2024-05-01T10:00:00.000Z")
        let episode = Self.episode("2024-05-01T10:00:00.001Z")
        #expect(NewestItem.choose(movie: movie, episode: episode) == episode)
    }

    @Test func comparesInstantsNotStrings() {
        // Lexically "…T12:00:00+05:00" sorts after "…T08:00:00Z", but it is 07:00Z.
        let movie = Self.movie("2024-05-01T08:00:00Z")
        let episode = Self.episode("2024-05-01T12:00:00+05:00")
        #expect(NewestItem.choose(movie: movie, episode: episode) == movie)
    }

    @Test func tieGoesToTheMovie() {
        let movie = Self.movie("2024-05-01T10:00:00.000Z")
        let episode = Self.episode("2024-05-01T10:00:00Z")
        #expect(NewestItem.choose(movie: movie, episode: episode) == movie)
    }

    @Test func oneSideMissing() {
        let movie = Self.movie("2024-05-01T10:00:00.000Z")
        let episode = Self.episode("2024-05-01T10:00:00.000Z")
        #expect(NewestItem.choose(movie: movie, episode: nil) == movie)
        #expect(NewestItem.choose(movie: nil, episode: episode) == episode)
        #expect(NewestItem.choose(movie: nil, episode: nil) == nil)
    }

    @Test func unparsableTimeLoses() {
        let goodMovie = Self.movie("2001-01-01T00:00:00.000Z")
        let badEpisode = Self.episode("not a time")
        #expect(NewestItem.choose(movie: goodMovie, episode: badEpisode) == goodMovie)

        let badMovie = Self.movie("")
        let goodEpisode = Self.episode("2001-01-01T00:00:00.000Z")
        #expect(NewestItem.choose(movie: badMovie, episode: goodEpisode) == goodEpisode)
    }

    @Test func unparsableAloneIsStillChosen() {
        let badMovie = Self.movie("yesterday")
        #expect(NewestItem.choose(movie: badMovie, episode: nil) == badMovie)
        // Both unparsable: stable, the movie.
        #expect(NewestItem.choose(movie: badMovie, episode: Self.episode("nope")) == badMovie)
    }
}
