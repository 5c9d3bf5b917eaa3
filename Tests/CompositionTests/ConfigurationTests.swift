import Testing
import TraktWidgetCore
@testable import Composition
import CurlClient
import TestSupport

@Suite struct ConfigurationTests {
    static let publicMode = ["TRAKT_CLIENT_ID": "cid-123", "TRAKT_USERNAME": "someone"]
    static let oauthMode = ["TRAKT_CLIENT_ID": "cid-123", "TRAKT_CLIENT_SECRET": "s3cr3t-client-value"]

    static func configError(_ environment: [String: String]) -> ConfigError? {
        #expect(throws: ConfigError.self) { try Configuration(environment: environment) }
    }

    static func merged(_ base: [String: String], _ extra: [String: String]) -> [String: String] {
        base.merging(extra) { _, new in new }
    }

    // MARK: Valid

    @Test func minimalPublicMode() throws {
        let configuration = try Configuration(environment: Self.publicMode)
        #expect(configuration.username == "someone")
        #expect(configuration.trakt?.clientID == "cid-123")
        #expect(configuration.trakt?.clientSecret == nil)
        // The mode is the runtime's decision; the configuration never pre-sets the public username.
        #expect(configuration.trakt?.publicUsername == nil)
    }

    @Test func minimalOAuthMode() throws {
        let configuration = try Configuration(environment: Self.oauthMode)
        #expect(configuration.username == nil)
        #expect(configuration.trakt?.clientSecret == "s3cr3t-client-value")
    }

    @Test func defaults() throws {
        let configuration = try Configuration(environment: Self.publicMode)
        #expect(configuration.cacheTTL == 300)
        #expect(configuration.tmdb.images.posterSize == "w500")
        #expect(configuration.tmdb.images.baseURL == "https://image.tmdb.org/t/p")
        #expect(configuration.tmdb.apiURL == "https://api.themoviedb.org")
        #expect(configuration.trakt?.apiURL == "https://api.trakt.tv")
        #expect(configuration.trakt?.authURL == "https://auth.trakt.tv")
        #expect(configuration.trakt?.redirectURI == "urn:ietf:wg:oauth:2.0:oob")
        #expect(configuration.timeouts == Timeouts(connect: 3, total: 8))
        #expect(configuration.userAgent == "trakt-widget/\(Version.current)")
        #expect(configuration.stateDirectory == "./var")
        #expect(configuration.databaseURL == nil)
        #expect(configuration.bootstrapRefreshToken == nil)
        #expect(configuration.bootstrapAccessToken == nil)
    }

    @Test func explicitValues() throws {
        let configuration = try Configuration(environment: Self.merged(Self.oauthMode, [
            "CACHE_TTL": "60",
            "TMDB_POSTER_SIZE": "original",
            "TRAKT_API_URL": "http://127.0.0.1:8080/",
            "TRAKT_AUTH_URL": "HTTP://127.0.0.1:8080",
            "TMDB_API_URL": "https://tmdb.example/base/",
            "TMDB_IMAGE_URL": "https://img.example/t/p",
            "TRAKT_REDIRECT_URI": "https://me.example/callback",
            "TRAKT_WIDGET_USER_AGENT": "custom/1",
            "TRAKT_WIDGET_STATE_DIR": "/tmp/tw-state",
            "TRAKT_REFRESH_TOKEN": "rt-value",
            "TRAKT_ACCESS_TOKEN": "at-value",
            "UPSTREAM_CONNECT_TIMEOUT": "1.5",
            "UPSTREAM_TIMEOUT": "20",
        ]))
        #expect(configuration.cacheTTL == 60)
        #expect(configuration.tmdb.images.posterSize == "original")
        #expect(configuration.trakt?.apiURL == "http://127.0.0.1:8080")
        #expect(configuration.trakt?.authURL == "HTTP://127.0.0.1:8080")
        #expect(configuration.tmdb.apiURL == "https://tmdb.example/base")
        #expect(configuration.trakt?.redirectURI == "https://me.example/callback")
        #expect(configuration.userAgent == "custom/1")
        #expect(configuration.stateDirectory == "/tmp/tw-state")
        #expect(configuration.bootstrapRefreshToken == "rt-value")
        #expect(configuration.bootstrapAccessToken == "at-value")
        #expect(configuration.timeouts == Timeouts(connect: 1.5, total: 20))
    }

    /// docs/tokens.md: TRAKT_WIDGET_STATE_DIR, else systemd's $STATE_DIRECTORY (its first entry), else ./var.
    @Test func stateDirectoryPrecedence() throws {
        let both = try Configuration(environment: Self.merged(Self.publicMode, [
            "STATE_DIRECTORY": "/var/lib/trakt-widget:/var/lib/other", "TRAKT_WIDGET_STATE_DIR": "/srv/tw-state",
        ]))
        #expect(both.stateDirectory == "/srv/tw-state")
        let systemd = try Configuration(environment: Self.merged(Self.publicMode, [
            "STATE_DIRECTORY": "/var/lib/trakt-widget:/var/lib/other",
        ]))
        #expect(systemd.stateDirectory == "/var/lib/trakt-widget")
        #expect(try Configuration(environment: Self.publicMode).stateDirectory == "./var")
    }

    @Test(arguments: ["1", "86400", "300"])
    func cacheTTLBounds(_ value: String) throws {
        let configuration = try Configuration(environment: Self.merged(Self.publicMode, ["CACHE_TTL": value]))
        #expect(configuration.cacheTTL == Double(value))
    }

    @Test(arguments: ["w92", "w342", "w500", "w780", "original"])
    func validPosterSizes(_ size: String) throws {
        let configuration = try Configuration(environment: Self.merged(Self.publicMode, ["TMDB_POSTER_SIZE": size]))
        #expect(configuration.tmdb.images.posterSize == size)
    }

    // MARK: TMDB credentials

    @Test func missingTMDBCredentialsIsOnlyAWarning() throws {
        let configuration = try Configuration(environment: Self.publicMode)
        #expect(!configuration.tmdb.hasCredentials)
        #expect(configuration.warnings.count == 1)
        #expect(configuration.warnings.first?.contains("TMDB_API_KEY") == true)
    }

    @Test(arguments: [["TMDB_API_KEY": "k"], ["TMDB_READ_TOKEN": "t"], ["TMDB_API_KEY": "k", "TMDB_READ_TOKEN": "t"]])
    func anyTMDBCredentialSilencesTheWarning(_ extra: [String: String]) throws {
        let configuration = try Configuration(environment: Self.merged(Self.publicMode, extra))
        #expect(configuration.tmdb.hasCredentials)
        #expect(configuration.warnings.isEmpty)
    }

    // MARK: Invalid

    @Test func missingClientID() {
        let error = Self.configError(["TRAKT_USERNAME": "someone", "TRAKT_CLIENT_SECRET": "x"])
        #expect(error?.variable == "TRAKT_CLIENT_ID")
        #expect(error?.description.hasPrefix("TRAKT_CLIENT_ID: ") == true)
    }

    @Test func neitherUsernameNorSecret() {
        let error = Self.configError(["TRAKT_CLIENT_ID": "cid"])
        #expect(error?.variable == "TRAKT_CLIENT_SECRET")
        #expect(error?.description.contains("TRAKT_USERNAME") == true)
    }

    @Test(arguments: ["abc", "0", "-1", "86401", "1.5", " 300", "3e2", ""])
    func invalidCacheTTL(_ value: String) {
        let error = Self.configError(Self.merged(Self.publicMode, ["CACHE_TTL": value]))
        #expect(error?.variable == "CACHE_TTL")
        #expect(error?.description.hasPrefix("CACHE_TTL: ") == true)
    }

    @Test(arguments: ["TRAKT_API_URL", "TRAKT_AUTH_URL", "TMDB_API_URL", "TMDB_IMAGE_URL"],
          ["nope", "ftp://x", "http://", "https://", "http:///path", "file:///etc/passwd", "https://host?x=1",
           "https://host/#frag", "https://ho st", "://host", "api.trakt.tv"])
    func invalidURLs(_ variable: String, _ value: String) {
        let error = Self.configError(Self.merged(Self.publicMode, [variable: value]))
        #expect(error?.variable == variable)
    }

    @Test(arguments: ["huge", "w", "500", "W500", "wide", "w500px", "w-500", "w+500", "w 500"])
    func invalidPosterSize(_ value: String) {
        let error = Self.configError(Self.merged(Self.publicMode, ["TMDB_POSTER_SIZE": value]))
        #expect(error?.variable == "TMDB_POSTER_SIZE", "\(value) accepted")
    }

    @Test(arguments: ["UPSTREAM_CONNECT_TIMEOUT", "UPSTREAM_TIMEOUT"], ["0", "-1", "121", "abc", "nan", "inf"])
    func invalidTimeouts(_ variable: String, _ value: String) {
        let error = Self.configError(Self.merged(Self.publicMode, [variable: value]))
        #expect(error?.variable == variable)
    }

    // MARK: Secrets

    static let secretEnvironment = [
        "TRAKT_CLIENT_ID": "cid-123",
        "TRAKT_USERNAME": "someone",
        "TRAKT_CLIENT_SECRET": "SECRET-client-7f3a",
        "TRAKT_REFRESH_TOKEN": "SECRET-refresh-91bc",
        "TRAKT_ACCESS_TOKEN": "SECRET-access-0d2e",
        "TMDB_API_KEY": "SECRET-tmdbkey-55aa",
        "TMDB_READ_TOKEN": "SECRET-tmdbread-66bb",
        "DATABASE_URL": "postgresql://widget:SECRET-dbpass-77cc@db.example/widget",
    ]

    @Test(arguments: [
        ["CACHE_TTL": "abc"], ["TRAKT_API_URL": "nope"], ["TMDB_API_URL": "ftp://x"], ["TMDB_IMAGE_URL": "http://"],
        ["TMDB_POSTER_SIZE": "huge"], ["UPSTREAM_TIMEOUT": "0"], ["TRAKT_CLIENT_ID": nil],
    ] as [[String: String?]])
    func errorDescriptionNeverContainsASecret(_ change: [String: String?]) {
        var environment = Self.secretEnvironment
        for (key, value) in change { environment[key] = value }
        let error = Self.configError(environment)
        #expect(error != nil)
        let text = "\(String(describing: error)) \(error?.problem ?? "")"
        for secret in Self.secretEnvironment.values where secret.hasPrefix("SECRET-") {
            #expect(!text.contains(secret), "\(text)")
        }
    }

    @Test func secretsListsEverySecretValue() throws {
        let configuration = try Configuration(environment: Self.secretEnvironment)
        #expect(Set(configuration.secrets).isSuperset(of: Self.secretEnvironment.values.filter { $0.hasPrefix("SECRET-") }))
        #expect(!configuration.secrets.contains("cid-123"))
    }
}
