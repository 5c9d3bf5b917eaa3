import FoundationEssentials
import LetterboxdFeed
import Testing
import TraktWidgetCore

struct LetterboxdFeedParserTests {
    private static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures")

    private func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.fixtures.appending(path: name)))
    }

    private func feed(_ items: String, namespaces: String = #"xmlns:letterboxd="https://letterboxd.com" xmlns:tmdb="https://themoviedb.org""#) -> [UInt8] {
        Array("""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0" \(namespaces)><channel><title>Letterboxd - T</title>\(items)</channel></rss>
        """.utf8)
    }

    @Test func theRealFeedGivesEightFilmsNewestFirst() throws {
        let entries = try LetterboxdFeedParser.parse(fixture("letterboxd-rss-dave.xml"))
        #expect(entries.count == 8)
        let first = try #require(entries.first)
        #expect(first == LetterboxdEntry(
            guid: "letterboxd-watch-1369875590", link: "https://letterboxd.com/dave/film/toy-story-4/1/",
            pubDate: "Sat, 27 Jun 2026 00:17:04 +1200", watchedDate: "2026-06-25", rewatch: "Yes",
            filmTitle: "Toy Story 4", filmYear: "2019", memberRating: "3.5", tmdbMovieID: "301528"
        ))
        #expect(entries.last?.memberRating == nil)
        let recent = LetterboxdSelection.newest(entries)
        #expect(recent.first?.item.title == "Toy Story 4")
        // Two films watched on 2026-06-19: the one logged later (Toy Story 3) comes first.
        #expect(recent.dropFirst().prefix(2).map(\.item.title) == ["Toy Story 3", "Toy Story 2"])
    }

    @Test func listItemsIn2020FeedAreSkipped() throws {
        let entries = try LetterboxdFeedParser.parse(fixture("letterboxd-rss-2020-with-lists.xml"))
        #expect(entries.count == 5)
        #expect(entries.filter(\.isListItem).count == 2)
        let recent = LetterboxdSelection.newest(entries)
        #expect(recent.map(\.item.title) == ["Eurovision Song Contest: The Story of Fire Saga", "Crip Camp: A Disability Revolution", "Con Air"])
        #expect(recent.first?.tmdb == nil)
    }

    @Test func namespacesAreMatchedByURINotPrefix() throws {
        let entries = try LetterboxdFeedParser.parse(feed(
            "<item><lb:filmTitle>Heat</lb:filmTitle><lb:watchedDate>2026-08-02</lb:watchedDate><t:movieId>949</t:movieId></item>",
            namespaces: #"xmlns:lb="https://letterboxd.com" xmlns:t="https://themoviedb.org""#
        ))
        #expect(entries == [LetterboxdEntry(watchedDate: "2026-08-02", filmTitle: "Heat", tmdbMovieID: "949")])
    }

    @Test func aLookalikeNamespaceIsNotLetterboxds() throws {
        let entries = try LetterboxdFeedParser.parse(feed(
            "<item><letterboxd:filmTitle>Heat</letterboxd:filmTitle><tmdb:movieId>949</tmdb:movieId></item>",
            namespaces: #"xmlns:letterboxd="https://example.com" xmlns:tmdb="https://www.themoviedb.org""#
        ))
        #expect(entries == [LetterboxdEntry()])
    }

    @Test func entitiesAndCDATAAreDecoded() throws {
        let entries = try LetterboxdFeedParser.parse(feed("""
        <item><letterboxd:filmTitle>Schindler&#039;s List &amp; Am&#xE9;lie</letterboxd:filmTitle>\
        <link><![CDATA[https://letterboxd.com/t/film/a/?x=1&y=2]]></link></item>
        """))
        #expect(entries.first?.filmTitle == "Schindler's List & Amélie")
        #expect(entries.first?.link == "https://letterboxd.com/t/film/a/?x=1&y=2")
    }

    @Test func externalEntitiesAreNeverLoaded() {
        let hostile = Array("""
        <?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
        <rss xmlns:letterboxd="https://letterboxd.com"><channel><item><letterboxd:filmTitle>&x;</letterboxd:filmTitle></item></channel></rss>
        """.utf8)
        let title = (try? LetterboxdFeedParser.parse(hostile))?.first?.filmTitle ?? ""
        #expect(!title.contains("root:"))
    }

    @Test(arguments: [
        "<html><body>Just a moment...</body></html>",
        "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body><p>blocked<br></body></html>",
        "<rss><channel><item>",
        "",
        "{\"ok\":true}",
    ])
    func notAFeedThrows(_ body: String) {
        #expect(throws: LetterboxdFeedError.self) { try LetterboxdFeedParser.parse(Array(body.utf8)) }
    }

    @Test func anEmptyFeedHasNoEntries() throws {
        #expect(try LetterboxdFeedParser.parse(feed("")).isEmpty)
    }
}
