import Foundation
import Testing
import TraktWidgetCore
@testable import UpstreamClients
import CurlClient
import TestSupport

@Suite(.serialized) struct TMDBAPITests {
    static let shared = SharedFake()

    static func poster(_ fake: FakeUpstream, _ reference: PosterReference, apiKey: String? = FakeUpstream.tmdbAPIKey, readToken: String? = nil)
        throws -> Result<String?, UpstreamFailure>
    {
        let api = TMDBAPI(settings: fake.tmdbSettings(apiKey: apiKey, readToken: readToken))
        return TMDBAPI.parsePosterPath(try fake.client().send(api.request(for: reference)))
    }

    // MARK: Requests (no network)

    static func settings(apiKey: String?, readToken: String?) -> TMDBSettings {
        TMDBSettings(apiURL: "https://api.themoviedb.org", apiKey: apiKey, readToken: readToken, images: ImageSettings())
    }

    @Test func apiKeyGoesInTheQueryEscaped() {
        let request = TMDBAPI(settings: Self.settings(apiKey: "k e&y", readToken: nil)).request(for: PosterReference(kind: .movie, tmdbID: 155))
        #expect(request.url == "https://api.themoviedb.org/3/movie/155?api_key=k%20e%26y")
        #expect(!request.headers.contains { $0.0 == "Authorization" })
    }

    @Test func readTokenIsPreferredAndSentAsBearer() {
        let request = TMDBAPI(settings: Self.settings(apiKey: "key", readToken: "tok")).request(for: PosterReference(kind: .tv, tmdbID: 8592))
        #expect(request.url == "https://api.themoviedb.org/3/tv/8592")
        #expect(request.headers.contains { $0 == ("Authorization", "Bearer tok") })
    }

    // MARK: Against the fake

    @Test func recordedMoviePosterWithAPIKey() throws {
        let fake = try Self.shared.fresh()
        let result = try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 11))
        #expect(try result.get() == "/6FfCtAuVAW8XJjZ7eWeLibRLWTw.jpg")
        let logged = try #require(try fake.requests(path: "/3/movie/11").last)
        #expect(logged.query == "api_key=\(FakeUpstream.tmdbAPIKey)")
        #expect(logged.headers["authorization"] == nil)
        #expect(logged.headers["user-agent"] == FakeUpstream.userAgent)
    }

    @Test func showPosterWithReadToken() throws {
        let fake = try Self.shared.fresh()
        let result = try Self.poster(fake, PosterReference(kind: .tv, tmdbID: 8592), apiKey: nil, readToken: FakeUpstream.tmdbReadToken)
        #expect(try result.get() == "/fake-tv-8592.jpg")
        let logged = try #require(try fake.requests(path: "/3/tv/8592").last)
        #expect(logged.query == "")
        #expect(logged.headers["authorization"] == "Bearer \(FakeUpstream.tmdbReadToken)")
    }

    @Test func unknownIDIsADefiniteNoPoster() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["tmdb_movies": ["999": NSNull()]])
        #expect(try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 999)).get() == nil)
    }

    @Test func nullPosterPathIsADefiniteNoPoster() throws {
        let fake = try Self.shared.fresh()
        try fake.setScenario(["tmdb_tv": ["77": ["poster_path": NSNull()]]])
        let result = try Self.poster(fake, PosterReference(kind: .tv, tmdbID: 77))
        #expect(result.failureValue == nil)
        #expect(try result.get() == nil)
    }

    @Test func wrongKeyIsAFailureNotNoPoster() throws {
        let fake = try Self.shared.fresh()
        #expect(try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 11), apiKey: "wrong").failureValue == .httpStatus(401))
    }

    @Test func serverErrorIsAFailure() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "status", "status": 500, "prefix": "/3"])
        #expect(try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 11)).failureValue == .httpStatus(500))
    }

    @Test func malformedIsAFailure() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "malformed", "prefix": "/3"])
        #expect(try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 11)).failureValue == .malformed)
    }

    @Test func tmdbDownIsATransportFailure() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "tmdb_down"])
        let failure = try Self.poster(fake, PosterReference(kind: .movie, tmdbID: 11)).failureValue
        guard case .transport = failure else {
            Issue.record("expected a transport failure, got \(String(describing: failure))")
            return
        }
    }
}
