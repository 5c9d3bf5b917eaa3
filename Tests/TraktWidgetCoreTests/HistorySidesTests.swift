import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct HistorySidesTests {
    struct Failed: Error {}
    static let oldEpisode = TraktHistoryItem(watchedAt: "2026-06-01T20:00:00.000Z", episode: .init(season: 1, number: 1, title: "Old", ids: .init()))
    static let newMovie = TraktHistoryItem(watchedAt: "2026-11-20T20:00:00.000Z", movie: .init(title: "New", year: 2026, ids: .init()))
    static let known = HistorySides(movie: newMovie, episode: oldEpisode)

    @Test func bothSidesAnsweredReplaceWhatWasKnown() {
        let merged = HistorySides.merge(known: Self.known, movie: Result<TraktHistoryItem?, Failed>.success(nil), episode: .success(Self.oldEpisode))
        #expect(merged == HistorySides(movie: nil, episode: Self.oldEpisode))
        #expect(merged?.newest == Self.oldEpisode)
    }

    @Test func aFailingSideKeepsItsLastGoodItem() {
        let movieFailed = HistorySides.merge(known: Self.known, movie: .failure(Failed()), episode: .success(Self.oldEpisode))
        #expect(movieFailed?.newest == Self.newMovie)
        let episodeFailed = HistorySides.merge(known: Self.known, movie: .success(Self.newMovie), episode: Result<TraktHistoryItem?, Failed>.failure(Failed()))
        #expect(episodeFailed == Self.known)
    }

    @Test func aFailingSideWithNothingKnownFailsTheRefresh() {
        #expect(HistorySides.merge(known: nil, movie: .failure(Failed()), episode: .success(Self.oldEpisode)) == nil)
        #expect(HistorySides.merge(known: nil, movie: .success(Self.newMovie), episode: Result<TraktHistoryItem?, Failed>.failure(Failed())) == nil)
        #expect(HistorySides.merge(known: Self.known, movie: Result<TraktHistoryItem?, Failed>.failure(Failed()), episode: .failure(Failed())) == nil)
    }

    @Test func survivesEncoding() throws {
        let data = try JSONEncoder().encode(Self.known)
        #expect(try JSONDecoder().decode(HistorySides.self, from: data) == Self.known)
    }
}
