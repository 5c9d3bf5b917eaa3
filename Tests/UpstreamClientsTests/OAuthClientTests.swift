import FoundationEssentials
import Testing
import TraktWidgetCore
@testable import UpstreamClients
import CurlClient
import TestSupport

@Suite(.serialized) struct OAuthClientTests {
    static let shared = SharedFake()

    static func oauth(_ fake: FakeUpstream, secret: String? = FakeUpstream.clientSecret) throws -> OAuthClient {
        OAuthClient(settings: fake.traktSettings(publicUser: nil, clientSecret: secret), http: try fake.client())
    }

    @Test func refreshReturnsANewPairAndTheOldRefreshTokenIsThenDead() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let oauth = try Self.oauth(fake)

        let grant = try oauth.refresh(initial.refresh_token).get()
        let current = try fake.tokens()
        #expect(grant.accessToken == current.access_token)
        #expect(grant.refreshToken == current.refresh_token)
        #expect(grant.refreshToken != initial.refresh_token)
        #expect(grant.accessToken != initial.access_token)
        #expect(grant.expiresIn == 7 * 86_400)
        // Expiry counts from when we asked, on our own clock, whatever Trakt's created_at says.
        #expect(grant.expiresAt(requestedAt: 1_000) == 1_000 + 7 * 86_400)

        // Refresh tokens are single-use: spending the old one again is invalid_grant.
        #expect(oauth.refresh(initial.refresh_token).failureValue == .reauthRequired)
        // The new one works.
        #expect(try oauth.refresh(grant.refreshToken).get().refreshToken != grant.refreshToken)
    }

    @Test func refreshSendsWhatTraktExpects() throws {
        let fake = try Self.shared.fresh()
        let refreshToken = try fake.tokens().refresh_token
        _ = try Self.oauth(fake).refresh(refreshToken).get()
        let logged = try #require(try fake.requests(path: "/oauth/token").last)
        #expect(logged.method == "POST")
        #expect(logged.headers["content-type"] == "application/json")
        #expect(logged.headers["user-agent"] == FakeUpstream.userAgent)
        #expect(logged.headers["trakt-api-key"] == FakeUpstream.clientID)
        let body = try JSONDecoder().decode([String: String].self, from: Data((logged.body ?? "").utf8))
        #expect(body == [
            "refresh_token": refreshToken,
            "client_id": FakeUpstream.clientID,
            "client_secret": FakeUpstream.clientSecret,
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "grant_type": "refresh_token",
        ])
    }

    @Test func unknownRefreshTokenRequiresReauth() throws {
        let fake = try Self.shared.fresh()
        let failure = try Self.oauth(fake).refresh("0000-never-issued").failureValue
        #expect(failure == .reauthRequired)
        #expect(failure?.code == "REAUTH_REQUIRED")
    }

    @Test func wrongClientSecretIsNotMistakenForADeadToken() throws {
        let fake = try Self.shared.fresh()
        let failure = try Self.oauth(fake, secret: "wrong-secret").refresh(fake.tokens().refresh_token).failureValue
        #expect(failure != nil)
        #expect(failure != .reauthRequired)
        // And the token was not burnt.
        #expect(try fake.tokens().used_refresh_tokens.isEmpty)
    }

    @Test func malformedTokenAnswer() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "malformed", "prefix": "/oauth/token"])
        #expect(try Self.oauth(fake).refresh(fake.tokens().refresh_token).failureValue == .malformed)
    }

    @Test func serverErrorDuringRefreshIsTransient() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "status", "status": 503, "prefix": "/oauth/token"])
        #expect(try Self.oauth(fake).refresh(fake.tokens().refresh_token).failureValue == .httpStatus(503))
    }

    @Test func exchangesAnAuthorizationCode() throws {
        let fake = try Self.shared.fresh()
        let grant = try Self.oauth(fake).exchange(code: "test-auth-code").get()
        #expect(grant.accessToken == (try fake.tokens().access_token))
        // Codes are single-use too.
        #expect(try Self.oauth(fake).exchange(code: "test-auth-code").failureValue == .reauthRequired)
    }

    @Test func deviceFlow() throws {
        let fake = try Self.shared.fresh()
        let oauth = try Self.oauth(fake)
        let code = try oauth.deviceCode().get()
        #expect(code.verificationURL == "https://trakt.tv/activate")
        #expect(code.interval == 5)
        #expect(code.expiresIn == 600)
        #expect(!code.userCode.isEmpty)

        guard case .authorized(let grant) = oauth.pollDeviceToken(code.deviceCode) else {
            Issue.record("expected the default script to authorize")
            return
        }
        #expect(grant.accessToken == (try fake.tokens().access_token))
        #expect(oauth.pollDeviceToken(code.deviceCode) == .alreadyUsed)
        #expect(oauth.pollDeviceToken("unknown-device-code") == .invalidCode)
    }

    @Test(arguments: [
        ("pending", DevicePollOutcome.pending), ("slow_down", .slowDown), ("denied", .denied), ("expired", .expired),
    ])
    func devicePollOutcomes(_ scripted: String, _ expected: DevicePollOutcome) throws {
        let fake = try Self.shared.fresh()
        try fake.setDevice(["outcomes": [scripted]])
        let oauth = try Self.oauth(fake)
        let code = try oauth.deviceCode().get()
        #expect(oauth.pollDeviceToken(code.deviceCode) == expected)
    }

    @Test func revoke() throws {
        let fake = try Self.shared.fresh()
        let access = try fake.tokens().access_token
        #expect(throws: Never.self) { try Self.oauth(fake).revoke(access).get() }
        #expect(try fake.tokens().revoked_tokens == [access])
    }

    @Test func authorizeURL() throws {
        let settings = TraktSettings(
            apiURL: "https://api.trakt.tv", authURL: "https://auth.trakt.tv", clientID: "c i/d", clientSecret: "s",
            redirectURI: "urn:ietf:wg:oauth:2.0:oob", publicUsername: nil
        )
        let oauth = OAuthClient(settings: settings, http: try HTTPClient(userAgent: "x", timeouts: .standard))
        #expect(oauth.authorizeURL()
            == "https://auth.trakt.tv/oauth/authorize?response_type=code&client_id=c%20i%2Fd&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob")
    }

    @Test func tokenErrorClassification() {
        let invalidGrant = Array(#"{"error":"invalid_grant","error_description":"x"}"#.utf8)
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 400, body: invalidGrant)) == .reauthRequired)
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 401, body: invalidGrant)) == .reauthRequired)
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 400, body: Array(#"{"error":"invalid_request"}"#.utf8))) == .httpStatus(400))
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 401, body: Array(#"{"error":"invalid_client"}"#.utf8))) == .unauthorized)
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 500, body: invalidGrant)) == .httpStatus(500))
        #expect(OAuthClient.classifyTokenError(UpstreamResponse(status: 400, body: Array("<html>".utf8))) == .httpStatus(400))
    }

    @Test func grantExpiryCountsFromTheRequestOnOurClock() {
        let stamped = OAuthGrant(accessToken: "a", refreshToken: "r", expiresIn: 100, createdAt: 500)
        #expect(stamped.expiresAt(requestedAt: 1_000) == 1_100)
    }

    /// A 2xx from /oauth/token means the old refresh token is spent: keep any usable refresh_token.
    @Test(arguments: [
        #"{"access_token":"a","refresh_token":"r","expires_in":"7200","created_at":"yesterday"}"#,
        #"{"access_token":"a","refresh_token":"r","expires_in":null,"token_type":7,"scope":["public"]}"#,
        #"{"access_token":"a","refresh_token":" r ","expires_in":-5}"#,
        #"{"access_token":42,"refresh_token":"r","expires_in":1e400}"#,
        #"{"refresh_token":"r"}"#,
    ])
    func oddGrantBodiesKeepTheRefreshToken(_ body: String) throws {
        let grant = try JSONDecoder().decode(OAuthGrant.self, from: Data(body.utf8))
        #expect(grant.refreshToken == "r")
        #expect(grant.expiresIn > 0)
        #expect(grant.expiresAt(requestedAt: 0) <= OAuthGrant.longestLifetime)
    }

    @Test(arguments: [#"{"access_token":"a"}"#, #"{"refresh_token":""}"#, #"{"refresh_token":5}"#, "[]"])
    func aGrantWithoutARefreshTokenIsMalformed(_ body: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(OAuthGrant.self, from: Data(body.utf8)) }
    }
}

@Suite struct OAuthGrantExpiryTests {
    @Test(arguments: [1e300, -1e300, Double(Int.max), 9.3e15])
    func absurdLifetimesAreBounded(_ expiresIn: Double) {
        let grant = OAuthGrant(accessToken: "a", refreshToken: "r", expiresIn: expiresIn, createdAt: 1_000_000)
        let expiresAt = grant.expiresAt(requestedAt: 1_000_000)
        #expect(expiresAt >= 1_000_000)
        #expect(expiresAt <= 1_000_000 + OAuthGrant.longestLifetime)
    }
}
