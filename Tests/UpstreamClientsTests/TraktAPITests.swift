import FoundationEssentials
import Testing
import TraktWidgetCore
@testable import UpstreamClients
import CurlClient
import TestSupport

@Suite(.serialized) struct TraktAPITests {
    static let shared = SharedFake()

    static func settings(publicUser: String?) -> TraktSettings {
        TraktSettings(
            apiURL: "https://api.trakt.tv", authURL: "https://auth.trakt.tv", clientID: "cid", clientSecret: nil,
            redirectURI: "urn:ietf:wg:oauth:2.0:oob", publicUsername: publicUser
        )
    }

    // MARK: Requests (no network)

    @Test func publicHistoryRequest() {
        let request = TraktAPI(settings: Self.settings(publicUser: "some-one_1")).historyRequest(limit: 10, accessToken: nil)
        #expect(request.method == .get)
        #expect(request.url == "https://api.trakt.tv/users/some-one_1/history?limit=10")
        #expect(!request.headers.contains { $0.0 == "Authorization" })
        #expect(request.headers.contains { $0 == ("trakt-api-key", "cid") })
        #expect(request.headers.contains { $0 == ("trakt-api-version", "2") })
    }

    @Test func usernameIsEscapedIntoThePath() {
        let request = TraktAPI(settings: Self.settings(publicUser: "a b/ü?#")).historyRequest(limit: 1, accessToken: nil)
        #expect(request.url == "https://api.trakt.tv/users/a%20b%2F%C3%BC%3F%23/history?limit=1")
        #expect(TraktAPI(settings: Self.settings(publicUser: "a b")).watchingRequest(accessToken: nil).url
            == "https://api.trakt.tv/users/a%20b/watching")
    }

    @Test func oauthRequests() {
        let api = TraktAPI(settings: Self.settings(publicUser: nil))
        let history = api.historyRequest(limit: 10, accessToken: "tok")
        #expect(history.url == "https://api.trakt.tv/sync/history?limit=10")
        let watching = api.watchingRequest(accessToken: "tok")
        #expect(watching.url == "https://api.trakt.tv/users/me/watching")
        #expect(watching.headers.contains { $0 == ("Authorization", "Bearer tok") })
        #expect(history.headers.contains { $0 == ("Authorization", "Bearer tok") })
        let activities = api.lastActivitiesRequest(accessToken: "tok")
        #expect(activities.url == "https://api.trakt.tv/sync/last_activities")
        #expect(activities.headers.contains { $0 == ("Authorization", "Bearer tok") })
    }

    // MARK: Against the fake

    static func history(_ fake: FakeUpstream, limit: Int = 1, settings: TraktSettings? = nil, token: String? = nil)
        throws -> Result<TraktHistoryItem?, UpstreamFailure>
    {
        let api = TraktAPI(settings: settings ?? fake.traktSettings())
        return TraktAPI.parseHistory(try fake.client().send(api.historyRequest(limit: limit, accessToken: token))).map(\.first)
    }

    @Test func publicHistoryParses() throws {
        let fake = try Self.shared.fresh()
        #expect(try Self.history(fake).get()?.movie?.title == "The Dark Knight")
        let api = TraktAPI(settings: fake.traktSettings())
        let mixed = try TraktAPI.parseHistory(fake.client().send(api.historyRequest(limit: 10, accessToken: nil))).get()
        #expect(mixed.count == 10 && mixed.contains { $0.show?.title == "Parks and Recreation" })
    }

    @Test func oauthHistoryAndLastActivities() throws {
        let fake = try Self.shared.fresh()
        let token = try fake.tokens().access_token
        let settings = fake.traktSettings(publicUser: nil)
        // Both fixture histories end at the same instant; the fake lists movies first on a tie.
        #expect(try Self.history(fake, limit: 2, settings: settings, token: token).get()?.movie?.title == "The Dark Knight")
        let api = TraktAPI(settings: settings)
        let activities = try TraktAPI.parseLastActivities(fake.client().send(api.lastActivitiesRequest(accessToken: token))).get()
        // The fake derives the watched marks from its history, like Trakt.
        #expect(activities.moviesWatchedAt == "2014-03-31T09:28:53.000Z")
        #expect(activities.episodesWatchedAt == "2014-03-31T09:28:53.000Z")
    }

    @Test func entriesWithoutATimeAreSkipped() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["sort_history": false, "episodes": [Any](), "movies": [
            ["type": "movie", "movie": ["title": "No time"]],
            ["watched_at": "2025-01-01T00:00:00.000Z", "type": "movie", "movie": ["title": "Timed"]],
        ]])
        #expect(try Self.history(fake, limit: 10).get()?.movie?.title == "Timed")
    }

    @Test func watchingIsNilWhenIdleAndTheItemWhenPlaying() throws {
        let fake = try Self.shared.fresh()
        let token = try fake.tokens().access_token
        let api = TraktAPI(settings: fake.traktSettings(publicUser: nil))
        #expect(try TraktAPI.parseWatching(fake.client().send(api.watchingRequest(accessToken: token))).get() == nil)
        try fake.setScenario(["watching": [
            "started_at": "2025-01-01T00:00:00.000Z", "expires_at": "2025-01-01T02:00:00.000Z", "action": "checkin",
            "type": "movie", "movie": ["title": "Super 8", "year": 2011, "ids": ["tmdb": 37686]],
        ]])
        let playing = try TraktAPI.parseWatching(fake.client().send(api.watchingRequest(accessToken: token))).get()
        #expect(playing?.media.movie?.title == "Super 8" && playing?.action == .checkin)
    }

    @Test func emptyHistoryIsNil() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["movies": [Any](), "episodes": [Any]()])
        #expect(try Self.history(fake).get() == nil)
    }

    @Test func utf8TitlesSurvive() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["movies": [[
            "watched_at": "2025-01-01T00:00:00.000Z", "type": "movie",
            "movie": ["title": "千と千尋の神隠し", "year": 2001, "ids": ["trakt": 1, "slug": "spirited-away-2001", "tmdb": 129]],
        ]]])
        #expect(try Self.history(fake).get()?.movie?.title == "千と千尋の神隠し")
    }

    @Test func rejectedAccessTokenIsUnauthorized() throws {
        let fake = try Self.shared.fresh()
        let result = try Self.history(fake, settings: fake.traktSettings(publicUser: nil), token: "not-the-token")
        #expect(result.failureValue == .unauthorized)
    }

    @Test func rateLimitCarriesRetryAfter() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "rate_limit", "retry_after": 7, "prefix": "/users"])
        let failure = try Self.history(fake).failureValue
        #expect(failure == .rateLimited(retryAfter: 7))
        #expect(failure?.retryAfter == 7)
        #expect(failure?.code == "TRAKT_RATE_LIMITED")
    }

    @Test func cloudflareHTML403IsBlocked() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "html403", "prefix": "/users"])
        #expect(try Self.history(fake).failureValue == .blocked)
    }

    @Test func traktsOwn403IsForbidden() throws {
        let fake = try Self.shared.fresh()
        let result = try Self.history(fake, settings: fake.traktSettings(clientID: "wrong-client-id"))
        #expect(result.failureValue == .forbidden)
    }

    @Test func status426IsVIPRequired() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "vip", "prefix": "/users"])
        #expect(try Self.history(fake).failureValue == .vipRequired)
    }

    @Test func malformedJSON() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "malformed", "prefix": "/users"])
        #expect(try Self.history(fake).failureValue == .malformed)
    }

    @Test func serverErrorIsHTTPStatus() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "status", "status": 500, "prefix": "/users"])
        let failure = try Self.history(fake).failureValue
        #expect(failure == .httpStatus(500))
        #expect(failure?.code == "TRAKT_HTTP_500")
    }

    @Test func unknownUserIs404() throws {
        let fake = try Self.shared.fresh()
        let result = try Self.history(fake, settings: fake.traktSettings(publicUser: "nobody-here"))
        #expect(result.failureValue == .httpStatus(404))
    }

    @Test func lastActivitiesFailureIsClassified() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "rate_limit", "retry_after": 30, "prefix": "/sync/last_activities"])
        let api = TraktAPI(settings: fake.traktSettings(publicUser: nil))
        let result = TraktAPI.parseLastActivities(try fake.client().send(api.lastActivitiesRequest(accessToken: try fake.tokens().access_token)))
        #expect(result.failureValue == .rateLimited(retryAfter: 30))
    }

    // MARK: Classification (no network)

    @Test func classification() {
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 401)) == .unauthorized)
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 403, headers: ["content-type": "text/html; charset=UTF-8"])) == .blocked)
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 403, headers: ["content-type": "application/json"])) == .forbidden)
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 426)) == .vipRequired)
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 429)) == .rateLimited(retryAfter: nil))
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 429, headers: ["retry-after": "12"])) == .rateLimited(retryAfter: 12))
        #expect(UpstreamFailure.fromTrakt(UpstreamResponse(status: 502)) == .httpStatus(502))
    }

    @Test func mostSeverePrefersRateLimitThenReauth() {
        #expect(UpstreamFailure.mostSevere([.httpStatus(500), .rateLimited(retryAfter: 5), .reauthRequired]) == .rateLimited(retryAfter: 5))
        #expect(UpstreamFailure.mostSevere([.httpStatus(500), .reauthRequired]) == .reauthRequired)
        #expect(UpstreamFailure.mostSevere([.malformed, .httpStatus(500)]) == .malformed)
    }
}
