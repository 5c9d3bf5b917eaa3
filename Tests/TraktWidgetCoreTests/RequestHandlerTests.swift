import Testing
import TraktWidgetCore

/// A `LastWatchedSource` that answers whatever the test set.
struct StubSource: LastWatchedSource {
    var lookup: LastWatchedLookup
    var report: HealthReport

    func lastWatched() -> LastWatchedLookup { lookup }
    func health() -> HealthReport { report }
}

@Suite struct RequestHandlerTests {
    static let ttl = 300
    static let cached = CachedResult(
        provider: .trakt,
        snapshot: WatchSnapshot(last: WatchedItem(
            kind: .movie, title: "Amélie", year: 2001, posterURL: nil,
            url: "https://trakt.tv/movies/amelie-2001", watchedAt: "2025-01-01T00:00:00.000Z"
        )),
        fetchedAt: 1_700_000_000, verifiedAt: 1_700_000_000, posterRetry: nil, mark: nil
    )
    static let healthy = HealthReport(
        canServe: true, mode: .public, tokenState: "not_used", tokenExpiresAt: nil, tokenRotatedAt: nil,
        storeKind: "file", storeReachable: true, cacheAge: 3, cacheStale: false, lastSuccessAt: 1_700_000_000,
        lastErrorCode: nil
    )

    static func handler(_ lookup: LastWatchedLookup = .result(cached, maxAge: 42), health: HealthReport = healthy) -> RequestHandler {
        RequestHandler(source: StubSource(lookup: lookup, report: health), ttl: ttl)
    }

    static func errorCode(_ response: HTTPResponse) -> String? {
        let text = String(decoding: response.body, as: UTF8.self)
        guard let start = text.firstRange(of: #""code":""#) else { return nil }
        return String(text[start.upperBound...].prefix { $0 != "\"" })
    }

    // MARK: 200

    @Test func getServesTheCachedBody() {
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.status == 200)
        #expect(response.body == Self.cached.body)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("ETag") == Self.cached.etag)
        #expect(response.header("Cache-Control") == "public, max-age=42, stale-while-revalidate=300, stale-if-error=86400")
    }

    @Test func cacheControlUsesTheGivenMaxAgeAndTTL() {
        let handler = RequestHandler(source: StubSource(lookup: .result(Self.cached, maxAge: 1), report: Self.healthy), ttl: 60)
        let response = handler.respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.header("Cache-Control") == "public, max-age=1, stale-while-revalidate=60, stale-if-error=86400")
    }

    // MARK: 304

    @Test(arguments: ["EXACT", "W/EXACT", "\"nope\", EXACT", "*"])
    func matchingIfNoneMatchGives304WithoutBody(_ pattern: String) {
        let header = pattern.replacing("EXACT", with: Self.cached.etag)
        let response = Self.handler().respond(to: HTTPRequest(
            method: "GET", path: "/api/trakt/last", headers: ["if-none-match": header]
        ))
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
        #expect(response.header("ETag") == Self.cached.etag)
        #expect(response.header("Cache-Control") == "public, max-age=42, stale-while-revalidate=300, stale-if-error=86400")
        #expect(!response.headText.contains("Content-Length"))
    }

    @Test func staleIfNoneMatchGives200() {
        let response = Self.handler().respond(to: HTTPRequest(
            method: "GET", path: "/api/trakt/last", headers: ["if-none-match": "\"0123456789abcdef\""]
        ))
        #expect(response.status == 200)
        #expect(response.body == Self.cached.body)
    }

    // MARK: HEAD

    @Test func headHasNoBodyButTheGetLength() {
        let response = Self.handler().respond(to: HTTPRequest(method: "HEAD", path: "/api/trakt/last"))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("Content-Length") == String(Self.cached.body.count))
        #expect(response.header("ETag") == Self.cached.etag)
        let head = response.headText
        #expect(head.ranges(of: "Content-Length:").count == 1, "exactly one Content-Length")
    }

    @Test func headWithMatchingIfNoneMatchIs304WithoutAWrongLength() {
        let response = Self.handler().respond(to: HTTPRequest(
            method: "HEAD", path: "/api/trakt/last", headers: ["if-none-match": Self.cached.etag]
        ))
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
        // RFC 9110 §8.6: a 304 must not carry a Content-Length other than the 200 body's length.
        let length = response.header("Content-Length")
        #expect(length == nil || length == String(Self.cached.body.count), "304 carries Content-Length: \(length ?? "-")")
    }

    @Test func headOfHealth() {
        let get = Self.handler().respond(to: HTTPRequest(method: "GET", path: "/api/trakt/health"))
        let head = Self.handler().respond(to: HTTPRequest(method: "HEAD", path: "/api/trakt/health"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == String(get.body.count))
    }

    // MARK: Errors

    @Test(arguments: ["/", "/api/trakt", "/api/trakt/last/", "/api/trakt/LAST", "/api/trakt/lastx", "/api/trakt/%6Cast", "//api/trakt/last"])
    func unknownPathIs404(_ path: String) {
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: path))
        #expect(response.status == 404)
        #expect(Self.errorCode(response) == "NOT_FOUND")
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get"])
    func otherMethodsAre405(_ method: String) {
        for path in ["/api/trakt/last", "/api/trakt/health"] {
            let response = Self.handler().respond(to: HTTPRequest(method: method, path: path))
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD")
            #expect(Self.errorCode(response) == "METHOD_NOT_ALLOWED")
        }
    }

    @Test func upstreamFailureIs503NoStoreWithRetryAfter() {
        let response = Self.handler(.failure(.upstreamUnavailable(retryAfter: 30)))
            .respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.status == 503)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("Retry-After") == "30")
        #expect(response.header("ETag") == nil)
        #expect(Self.errorCode(response) == "UPSTREAM_UNAVAILABLE")
    }

    @Test func reauthFailureIs503() {
        let response = Self.handler(.failure(.reauthRequired(retryAfter: 120)))
            .respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last", headers: ["if-none-match": "*"]))
        #expect(response.status == 503)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("Retry-After") == "120")
        #expect(Self.errorCode(response) == "REAUTH_REQUIRED")
    }

    @Test func nonUTF8PathIs400() {
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: [0x2F, 0x61, 0xFF, 0xFE]))
        #expect(response.status == 400)
        #expect(Self.errorCode(response) == "BAD_REQUEST")
    }

    @Test func overlongURIIs414() {
        let long = "/api/trakt/last" + String(repeating: "a", count: 3000)
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: long))
        #expect(response.status == 414)
        #expect(Self.errorCode(response) == "URI_TOO_LONG")

        let longQuery = HTTPRequest(method: "GET", requestURI: Array(("/api/trakt/last?" + String(repeating: "q", count: 3000)).utf8))
        #expect(Self.handler().respond(to: longQuery).status == 414)
    }

    @Test func uriLengthLimitIsExact() {
        let limit = RequestHandler.maximumURILength
        let atLimit = "/" + String(repeating: "a", count: limit - 1)
        #expect(Self.handler().respond(to: HTTPRequest(method: "GET", path: atLimit)).status == 404)
        #expect(Self.handler().respond(to: HTTPRequest(method: "GET", path: atLimit + "a")).status == 414)
    }

    @Test func uriLengthCountsTheQuestionMark() {
        // A REQUEST_URI of maximumURILength + 1 bytes: path + "?" + query.
        let path = "/api/trakt/last"
        let query = String(repeating: "q", count: RequestHandler.maximumURILength - path.utf8.count)
        let uri = path + "?" + query
        #expect(uri.utf8.count == RequestHandler.maximumURILength + 1)
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", requestURI: Array(uri.utf8)))
        #expect(response.status == 414)
    }

    @Test func overlongNonUTF8IsStill414() {
        let path: [UInt8] = [0x2F] + [UInt8](repeating: 0xFF, count: 3000)
        #expect(Self.handler().respond(to: HTTPRequest(method: "GET", path: path)).status == 414)
    }

    // MARK: Routing details

    @Test func queryStringIsIgnoredForRouting() {
        let request = HTTPRequest(method: "GET", requestURI: Array("/api/trakt/last?callback=x&v=2".utf8))
        #expect(request.query == "callback=x&v=2")
        #expect(request.path == Array("/api/trakt/last".utf8))
        let response = Self.handler().respond(to: request)
        #expect(response.status == 200)
        #expect(response.body == Self.cached.body)
    }

    @Test func emptyQueryAndHealthWithQuery() {
        #expect(Self.handler().respond(to: HTTPRequest(method: "GET", requestURI: Array("/api/trakt/last?".utf8))).status == 200)
        #expect(Self.handler().respond(to: HTTPRequest(method: "GET", requestURI: Array("/api/trakt/health?x".utf8))).status == 200)
    }

    // MARK: Health

    @Test func healthy200NoStore() {
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: "/api/trakt/health"))
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.body == Self.healthy.body)
    }

    @Test func unhealthy503NoStore() {
        var report = Self.healthy
        report.canServe = false
        report.lastErrorCode = "TRAKT_TIMEOUT"
        let response = Self.handler(health: report).respond(to: HTTPRequest(method: "GET", path: "/api/trakt/health"))
        #expect(response.status == 503)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.body == report.body)
    }

    @Test func healthIgnoresIfNoneMatch() {
        let response = Self.handler().respond(to: HTTPRequest(method: "GET", path: "/api/trakt/health", headers: ["if-none-match": "*"]))
        #expect(response.status == 200)
        #expect(!response.body.isEmpty)
    }
}

@Suite struct WatchRouteTests {
    static func handler(_ provider: ProviderKind, cached: CachedResult = RequestHandlerTests.cached) -> RequestHandler {
        RequestHandler(
            source: StubSource(lookup: .result(cached, maxAge: 42), report: RequestHandlerTests.healthy),
            ttl: 300, provider: provider
        )
    }

    @Test func watchLastServesTheWatchBodyWithItsOwnTag() {
        let response = Self.handler(.trakt).respond(to: HTTPRequest(method: "GET", path: "/api/watch/last"))
        #expect(response.status == 200)
        #expect(response.body == RequestHandlerTests.cached.watchBody)
        #expect(response.header("ETag") == RequestHandlerTests.cached.watchETag)
        #expect(response.header("Cache-Control") == "public, max-age=42, stale-while-revalidate=300, stale-if-error=86400")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains(#""url":"https://trakt.tv/movies/amelie-2001""#))
        #expect(text.contains(#""provider":"trakt""#))
    }

    @Test func watchLastAnswers304ToItsTag() {
        let request = HTTPRequest(method: "GET", path: "/api/watch/last", headers: ["if-none-match": RequestHandlerTests.cached.watchETag])
        #expect(Self.handler(.simkl).respond(to: request).status == 304)
    }

    @Test func traktLastIsUnchangedForTrakt() {
        let response = Self.handler(.trakt).respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.body == RequestHandlerTests.cached.body)
        #expect(!String(decoding: response.body, as: UTF8.self).contains("provider"))
    }

    @Test(arguments: [ProviderKind.simkl, .letterboxd])
    func traktLastPointsOtherProvidersToWatchLast(_ provider: ProviderKind) {
        let response = Self.handler(provider).respond(to: HTTPRequest(method: "GET", path: "/api/trakt/last"))
        #expect(response.status == 404)
        #expect(RequestHandlerTests.errorCode(response) == "NOT_FOUND")
        #expect(String(decoding: response.body, as: UTF8.self).contains("/api/watch/last"))
    }

    @Test func watchHealthIsHealth() {
        let response = Self.handler(.letterboxd).respond(to: HTTPRequest(method: "GET", path: "/api/watch/health"))
        #expect(response.status == 200)
        #expect(response.body == RequestHandlerTests.healthy.body)
    }

    @Test func postToWatchLastIsNotAllowed() {
        #expect(Self.handler(.simkl).respond(to: HTTPRequest(method: "POST", path: "/api/watch/last")).status == 405)
    }
}

@Suite struct CardAndHistoryRouteTests {
    static let cached = RequestHandlerTests.cached
    static let healthy = RequestHandlerTests.healthy
    static func handler(_ lookup: LastWatchedLookup) -> RequestHandler { RequestHandlerTests.handler(lookup) }
    static func errorCode(_ response: HTTPResponse) -> String? { RequestHandlerTests.errorCode(response) }

    static func get(_ path: String, _ query: String = "", headers: [String: String] = [:], _ lookup: LastWatchedLookup = .result(cached, maxAge: 42)) -> HTTPResponse {
        handler(lookup).respond(to: HTTPRequest(method: "GET", path: path, query: query, headers: headers))
    }

    @Test(arguments: ["/api/watch/card.svg", "/api/trakt/card.svg"])
    func cardIsAnSVGWithStrongETagAndCacheControl(_ path: String) {
        let response = Self.get(path, "theme=dark&width=300")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "image/svg+xml; charset=utf-8")
        #expect(response.header("Cache-Control") == "public, max-age=42, stale-while-revalidate=300, stale-if-error=86400")
        let etag = response.header("ETag")
        #expect(etag == EntityTag.of(response.body) && etag?.hasPrefix("W/") == false)
        #expect(String(decoding: response.body, as: UTF8.self).contains("Last watched: Amélie"))
        let again = Self.get(path, "theme=dark&width=300", headers: ["if-none-match": etag!])
        #expect(again.status == 304 && again.body.isEmpty && again.header("ETag") == etag)
    }

    @Test func aBadCardParameterIsAJSON400NamingIt() {
        let response = Self.get("/api/watch/card.svg", "width=9000")
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(Self.errorCode(response) == "INVALID_PARAMETER")
        #expect(String(decoding: response.body, as: UTF8.self).contains("`width`"))
    }

    @Test func upstreamFailureAndEmptyHistoryAreShortLived200Cards() {
        let failed = Self.get("/api/watch/card.svg", "", .failure(.upstreamUnavailable(retryAfter: 30)))
        #expect(failed.status == 200 && failed.header("Content-Type") == "image/svg+xml; charset=utf-8")
        #expect(failed.header("Cache-Control") == "public, max-age=60")
        let text = String(decoding: failed.body, as: UTF8.self)
        #expect(text.contains("Temporarily unavailable") && !text.contains("Trakt is not answering"))
        let empty = CachedResult(provider: .trakt, snapshot: .empty, fetchedAt: 1, verifiedAt: 1, posterRetry: nil, mark: nil)
        let none = Self.get("/api/watch/card.svg", "", .result(empty, maxAge: 200))
        #expect(none.status == 200 && none.header("Cache-Control") == "public, max-age=60")
        #expect(String(decoding: none.body, as: UTF8.self).contains("No recent activity"))
    }

    @Test func traktCardPathIsOnlyForTrakt() {
        let handler = RequestHandler(source: StubSource(lookup: .result(Self.cached, maxAge: 1), report: Self.healthy), ttl: 300, provider: .simkl)
        #expect(handler.respond(to: HTTPRequest(method: "GET", path: "/api/trakt/card.svg")).status == 404)
        #expect(handler.respond(to: HTTPRequest(method: "GET", path: "/api/watch/card.svg")).status == 200)
    }

    @Test func historyDefaultsToFiveAndValidatesTheLimit() {
        let ok = Self.get("/api/watch/history")
        #expect(ok.status == 200 && ok.header("Content-Type") == "application/json; charset=utf-8")
        #expect(String(decoding: ok.body, as: UTF8.self).hasPrefix(#"{"ok":true,"data":[{"type":"movie","title":"Amélie""#))
        for bad in ["limit=0", "limit=11", "limit=x", "limit=%2D1"] {
            let response = Self.get("/api/watch/history", bad)
            #expect(response.status == 400 && Self.errorCode(response) == "INVALID_PARAMETER", "\(bad)")
        }
        #expect(Self.get("/api/watch/history", "limit=10").status == 200)
        let failed = Self.get("/api/watch/history", "", .failure(.upstreamUnavailable(retryAfter: 30)))
        #expect(failed.status == 503 && Self.errorCode(failed) == "UPSTREAM_UNAVAILABLE")
        #expect(Self.get("/api/watch/history", "", headers: [:]).header("ETag") == Self.get("/api/watch/history", "limit=5").header("ETag"))
    }

    @Test func newPathsAreReadOnly() {
        for path in ["/api/watch/card.svg", "/api/watch/history"] {
            #expect(Self.handler(.result(Self.cached, maxAge: 42)).respond(to: HTTPRequest(method: "POST", path: path)).status == 405)
            let head = Self.handler(.result(Self.cached, maxAge: 42)).respond(to: HTTPRequest(method: "HEAD", path: path))
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") != nil)
        }
    }
}
