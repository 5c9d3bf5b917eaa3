import Testing
@testable import TraktWidgetCore

struct LetterboxdSelectionTests {
    private func entry(
        _ title: String, watched: String, published: String, guid: String = "letterboxd-watch-1"
    ) -> LetterboxdEntry {
        LetterboxdEntry(
            guid: guid, link: "https://letterboxd.com/dave/film/\(title.lowercased())/", pubDate: published,
            watchedDate: watched, rewatch: "No", filmTitle: title, filmYear: "2020", tmdbMovieID: "1"
        )
    }

    @Test func newestWatchDateWinsOverFeedOrder() {
        let entries = [
            entry("Backlogged", watched: "2026-06-01", published: "Sat, 27 Jun 2026 00:17:04 +1200"),
            entry("Newer", watched: "2026-06-20", published: "Sat, 20 Jun 2026 01:03:28 +1200"),
        ]
        #expect(LetterboxdSelection.newest(entries).map(\.item.title) == ["Newer", "Backlogged"])
    }

    @Test func sameDayTiesGoToTheLaterLogEvenAcrossTimeZones() {
        let entries = [
            entry("Earlier", watched: "2026-06-19", published: "Fri, 19 Jun 2026 23:01:05 +1200"),
            // 13:30 UTC, later than 11:01 UTC above although its local time reads earlier.
            entry("Later", watched: "2026-06-19", published: "Fri, 19 Jun 2026 14:30:00 +0100"),
        ]
        #expect(LetterboxdSelection.newest(entries).first?.item.title == "Later")
    }

    @Test func listItemsAndEntriesWithoutAFilmAreSkipped() {
        var list = entry("TIFF", watched: "2026-07-01", published: "Sat, 10 Sep 2016 13:23:28 +1200", guid: "letterboxd-list-1139344")
        list.filmTitle = nil
        var odd = entry("Odd", watched: "2026-13-45", published: "")
        odd.guid = "letterboxd-review-2"
        let kept = entry("Kept", watched: "2026-01-01", published: "")
        #expect(LetterboxdSelection.newest([list, odd, kept]).map(\.item.title) == ["Kept"])
    }

    @Test func aDiaryEntryIsADayPrecisionMovieWithRatingAndRewatch() throws {
        let formatted = try #require(LetterboxdSelection.format(LetterboxdEntry(
            guid: "letterboxd-watch-1369875590", link: "https://letterboxd.com/dave/film/toy-story-4/1/",
            pubDate: "Sat, 27 Jun 2026 00:17:04 +1200", watchedDate: "2026-06-25", rewatch: "Yes",
            filmTitle: "Toy Story 4", filmYear: "2019", memberRating: "3.5", tmdbMovieID: "301528"
        )))
        #expect(formatted.item == WatchedItem(
            kind: .movie, title: "Toy Story 4", year: 2019, posterURL: nil,
            url: "https://letterboxd.com/dave/film/toy-story-4/1/", watchedAt: "2026-06-25", precision: .day,
            rating: 3.5, rewatch: true
        ))
        #expect(formatted.tmdb == PosterReference(kind: .movie, tmdbID: 301528))
    }

    @Test func unratedMeansNullRating() throws {
        var unrated = entry("X", watched: "2026-05-22", published: "")
        unrated.memberRating = nil
        #expect(LetterboxdSelection.format(unrated)?.item.rating == nil)
        unrated.memberRating = "9.0"
        #expect(LetterboxdSelection.format(unrated)?.item.rating == nil)
    }

    @Test(arguments: [
        ("Schindler&#039;s List", "Schindler's List"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Am&#xE9;lie", "Amélie"),
        ("AT&T &bogus; &#0;", "AT&T &bogus; &#0;"),
        ("Léon: The Professional", "Léon: The Professional"),
    ])
    func entitiesInTitlesAreDecoded(_ raw: String, _ decoded: String) {
        #expect(HTMLEntities.decode(raw) == decoded)
    }

    @Test func rssDatesParseWithTheirOffsets() {
        #expect(RFC822Date.parse("Sat, 27 Jun 2026 00:17:04 +1200") == Timestamp.parse("2026-06-26T12:17:04Z"))
        #expect(RFC822Date.parse("Tue, 2 Jun 2026 02:03:37 -0130") == Timestamp.parse("2026-06-02T03:33:37Z"))
        #expect(RFC822Date.parse("Tue, 2 Jun 2026 02:03:37 GMT") == Timestamp.parse("2026-06-02T02:03:37Z"))
        #expect(RFC822Date.parse("yesterday") == nil)
        #expect(RFC822Date.parse("Tue, 2 Foo 2026 02:03:37 GMT") == nil)
    }
}
