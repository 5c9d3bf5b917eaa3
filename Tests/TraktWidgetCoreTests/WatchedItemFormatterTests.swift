import Testing
import TraktWidgetCore

@Suite struct WatchedItemFormatterTests {
    static let images = ImageSettings()
    static let watchedAt = "2025-02-28T21:14:03.000Z"

    static func movie(title: String? = "Amélie", year: Int? = 2001, slug: String? = "amelie-2001", tmdb: Int? = 194) -> TraktHistoryItem {
        TraktHistoryItem(
            watchedAt: watchedAt,
            movie: .init(title: title, year: year, ids: TraktIDs(trakt: 7, slug: slug, imdb: "tt0211915", tmdb: tmdb))
        )
    }

    static func episode(
        title: String? = nil, season: Int? = 2, number: Int? = 7, episodeTMDB: Int? = 5_551_234,
        show: TraktHistoryItem.Movie? = .init(
            title: "Severance", year: 2022, ids: TraktIDs(trakt: 154_997, slug: "severance", imdb: "tt11280740", tmdb: 95396)
        )
    ) -> TraktHistoryItem {
        TraktHistoryItem(
            watchedAt: watchedAt,
            episode: .init(season: season, number: number, title: title, ids: TraktIDs(trakt: 1, tmdb: episodeTMDB)),
            show: show
        )
    }

    // MARK: Movies

    @Test func movieFields() throws {
        let item = try #require(WatchedItemFormatter.format(Self.movie(), posterPath: "/abc.jpg", images: Self.images))
        #expect(item == WatchedItem(
            kind: .movie, title: "Amélie", year: 2001,
            posterURL: "https://image.tmdb.org/t/p/w500/abc.jpg",
            url: "https://trakt.tv/movies/amelie-2001",
            watchedAt: Self.watchedAt
        ))
        #expect(item.showTitle == nil && item.season == nil && item.episode == nil)
    }

    @Test(arguments: [nil, ""] as [String?])
    func movieURLIsNullWithoutSlug(_ slug: String?) throws {
        let item = try #require(WatchedItemFormatter.format(Self.movie(slug: slug), posterPath: "/abc.jpg", images: Self.images))
        #expect(item.url == nil)
        #expect(item.title == "Amélie")
    }

    @Test func movieMissingDescriptiveFieldsStayNull() throws {
        let item = try #require(WatchedItemFormatter.format(
            Self.movie(title: nil, year: nil, slug: nil, tmdb: nil), posterPath: nil, images: Self.images
        ))
        #expect(item.kind == .movie)
        #expect(item.title == nil)
        #expect(item.year == nil)
        #expect(item.posterURL == nil)
        #expect(item.url == nil)
        #expect(item.watchedAt == Self.watchedAt)
    }

    @Test func moviePosterReferenceUsesItsOwnTMDBID() {
        #expect(WatchedItemFormatter.posterReference(for: Self.movie()) == PosterReference(kind: .movie, tmdbID: 194))
        #expect(WatchedItemFormatter.posterReference(for: Self.movie())?.path == "/3/movie/194")
        #expect(WatchedItemFormatter.posterReference(for: Self.movie(tmdb: nil)) == nil)
    }

    // MARK: Episodes

    @Test func episodeFields() throws {
        let item = try #require(WatchedItemFormatter.format(
            Self.episode(title: "Chikhai Bardo"), posterPath: "/show.jpg", images: Self.images
        ))
        #expect(item == WatchedItem(
            kind: .episode, title: "Chikhai Bardo", showTitle: "Severance", season: 2, episode: 7, year: 2022,
            posterURL: "https://image.tmdb.org/t/p/w500/show.jpg",
            url: "https://trakt.tv/shows/severance/seasons/2/episodes/7",
            watchedAt: Self.watchedAt
        ))
    }

    @Test(arguments: [nil, ""] as [String?])
    func episodeTitleFallsBackToShowAndUnpaddedCode(_ title: String?) throws {
        let item = try #require(WatchedItemFormatter.format(Self.episode(title: title), posterPath: nil, images: Self.images))
        #expect(item.title == "Severance S2E7")
        #expect(item.showTitle == "Severance")
    }

    @Test func episodeTitleFallbackWithoutShowTitle() throws {
        let show = TraktHistoryItem.Movie(title: nil, year: 2022, ids: TraktIDs(slug: "severance", tmdb: 95396))
        let item = try #require(WatchedItemFormatter.format(Self.episode(season: 10, number: 12, show: show), posterPath: nil, images: Self.images))
        #expect(item.title == "S10E12")
        #expect(item.showTitle == nil)
    }

    @Test func episodeTitleFallbackWithUnknownNumbers() throws {
        let item = try #require(WatchedItemFormatter.format(Self.episode(season: nil, number: nil), posterPath: nil, images: Self.images))
        #expect(item.title == "Severance S?E?")
        #expect(item.season == nil && item.episode == nil)
        // Without season and number, the link goes to the show.
        #expect(item.url == "https://trakt.tv/shows/severance")
    }

    @Test func episodeYearIsTheShowsYear() throws {
        let item = try #require(WatchedItemFormatter.format(Self.episode(), posterPath: nil, images: Self.images))
        #expect(item.year == 2022)
    }

    @Test func episodePosterReferenceUsesTheShowsTMDBIDNotTheEpisodes() {
        let reference = WatchedItemFormatter.posterReference(for: Self.episode(episodeTMDB: 5_551_234))
        #expect(reference == PosterReference(kind: .tv, tmdbID: 95396))
        #expect(reference?.path == "/3/tv/95396")
    }

    @Test func episodeWithoutShowTMDBIDHasNoPosterReference() {
        let show = TraktHistoryItem.Movie(title: "Severance", year: 2022, ids: TraktIDs(slug: "severance", tmdb: nil))
        #expect(WatchedItemFormatter.posterReference(for: Self.episode(episodeTMDB: 42, show: show)) == nil)
        #expect(WatchedItemFormatter.posterReference(for: Self.episode(show: nil)) == nil)
    }

    @Test(arguments: [nil, ""] as [String?])
    func episodeURLIsNullWithoutShowSlug(_ slug: String?) throws {
        let show = TraktHistoryItem.Movie(title: "Severance", year: 2022, ids: TraktIDs(slug: slug, tmdb: 95396))
        let item = try #require(WatchedItemFormatter.format(Self.episode(show: show), posterPath: nil, images: Self.images))
        #expect(item.url == nil)
    }

    @Test func episodeWithoutShow() throws {
        let item = try #require(WatchedItemFormatter.format(Self.episode(show: nil), posterPath: nil, images: Self.images))
        #expect(item.title == "S2E7")
        #expect(item.showTitle == nil)
        #expect(item.year == nil)
        #expect(item.url == nil)
    }

    // MARK: Neither

    @Test func entryWithNeitherMovieNorEpisode() {
        let item = TraktHistoryItem(watchedAt: Self.watchedAt)
        #expect(WatchedItemFormatter.format(item, posterPath: "/x.jpg", images: Self.images) == nil)
        #expect(WatchedItemFormatter.posterReference(for: item) == nil)
    }

    // MARK: Poster URL

    @Test func posterURLIsNullWithoutPosterPath() throws {
        #expect(try #require(WatchedItemFormatter.format(Self.movie(), posterPath: nil, images: Self.images)).posterURL == nil)
        #expect(try #require(WatchedItemFormatter.format(Self.movie(), posterPath: "", images: Self.images)).posterURL == nil)
    }

    @Test func posterURLUsesTheConfiguredSizeAndBase() throws {
        let images = ImageSettings(baseURL: "http://127.0.0.1:9/t/p", posterSize: "w342")
        let item = try #require(WatchedItemFormatter.format(Self.episode(), posterPath: "/abc.jpg", images: images))
        #expect(item.posterURL == "http://127.0.0.1:9/t/p/w342/abc.jpg")
    }
}
