import CurlClient
import LetterboxdProvider
import SimklProvider
import TraktWidgetCore
import UpstreamClients

/// Every setting, validated once at start. An invalid value stops the process with one clear line.
public struct Configuration: Sendable {
    /// `WATCH_PROVIDER`: which upstream the deployment reads.
    public var provider: ProviderKind
    /// Set when the provider is Trakt.
    public var trakt: TraktSettings?
    /// `TRAKT_USERNAME`: public mode when there is no OAuth token to use (see `Runtime`).
    public var username: String?
    /// Set when the provider is Simkl.
    public var simkl: SimklSettings?
    /// `SIMKL_ACCESS_TOKEN`: bootstrap only, like Trakt's environment token.
    public var bootstrapSimklToken: String?
    /// Set when the provider is Letterboxd.
    public var letterboxd: LetterboxdSettings?
    public var tmdb: TMDBSettings
    public var cacheTTL: Double
    public var timeouts: Timeouts
    public var stateDirectory: String
    public var userAgent: String
    public var databaseURL: String?
    /// Bootstrap only: used when no store has ever held a token.
    public var bootstrapRefreshToken: String?
    public var bootstrapAccessToken: String?
    public var warnings: [String]

    public static let defaults: [String: String] = [
        "TRAKT_REDIRECT_URI": "urn:ietf:wg:oauth:2.0:oob",
        "TMDB_POSTER_SIZE": "w500",
        "CACHE_TTL": "300",
        "TRAKT_API_URL": "https://api.trakt.tv",
        "TRAKT_AUTH_URL": "https://auth.trakt.tv",
        "TMDB_API_URL": "https://api.themoviedb.org",
        "TMDB_IMAGE_URL": "https://image.tmdb.org/t/p",
        "UPSTREAM_CONNECT_TIMEOUT": "3",
        "UPSTREAM_TIMEOUT": "8",
        "TRAKT_OAUTH_TIMEOUT": "30",
        "SIMKL_API_URL": "https://api.simkl.com",
        "LETTERBOXD_URL": "https://letterboxd.com",
    ]

    /// The variable whose presence says a provider is configured, for the `WATCH_PROVIDER` default.
    static let credential: [ProviderKind: String] = [
        .trakt: "TRAKT_CLIENT_ID", .simkl: "SIMKL_CLIENT_ID", .letterboxd: "LETTERBOXD_USERNAME",
    ]

    /// The values never to print or log.
    public var secrets: [String] {
        [trakt?.clientSecret, tmdb.apiKey, tmdb.readToken, bootstrapRefreshToken, bootstrapAccessToken, bootstrapSimklToken, databaseURL]
            .compactMap { $0 }
    }

    public init(environment: [String: String]) throws(ConfigError) {
        let env = Self.defaults.merging(environment) { _, given in given }
        var warnings: [String] = []

        provider = try Self.provider(env)
        let refreshToken = env["TRAKT_REFRESH_TOKEN"]
        let accessToken = env["TRAKT_ACCESS_TOKEN"]
        switch provider {
        case .trakt:
            guard let clientID = env["TRAKT_CLIENT_ID"] else {
                throw ConfigError("TRAKT_CLIENT_ID", "is required (every Trakt call sends it as trakt-api-key)")
            }
            let secret = env["TRAKT_CLIENT_SECRET"]
            username = env["TRAKT_USERNAME"]
            if secret == nil && username == nil {
                throw ConfigError("TRAKT_CLIENT_SECRET", "is required for OAuth mode; or set TRAKT_USERNAME for public mode")
            }
            trakt = TraktSettings(
                apiURL: try Self.url(env, "TRAKT_API_URL"),
                authURL: try Self.url(env, "TRAKT_AUTH_URL"),
                clientID: clientID,
                clientSecret: secret,
                redirectURI: env["TRAKT_REDIRECT_URI"]!,
                publicUsername: nil,
                tokenTimeout: try Self.seconds(env, "TRAKT_OAUTH_TIMEOUT")
            )
        case .simkl:
            guard let clientID = env["SIMKL_CLIENT_ID"], Self.isToken(clientID) else {
                throw ConfigError("SIMKL_CLIENT_ID", "is required with WATCH_PROVIDER=simkl (the client id of your Simkl app, no spaces)")
            }
            simkl = SimklSettings(apiURL: try Self.url(env, "SIMKL_API_URL"), clientID: clientID, appVersion: Version.current)
            bootstrapSimklToken = env["SIMKL_ACCESS_TOKEN"]
        case .letterboxd:
            guard let name = env["LETTERBOXD_USERNAME"], Self.isLetterboxdUsername(name) else {
                throw ConfigError("LETTERBOXD_USERNAME", "is required with WATCH_PROVIDER=letterboxd (letters, digits and _ only)")
            }
            letterboxd = LetterboxdSettings(baseURL: try Self.url(env, "LETTERBOXD_URL"), username: name)
        }

        let posterSize = env["TMDB_POSTER_SIZE"]!
        let width = posterSize.dropFirst()
        guard posterSize == "original" || (posterSize.hasPrefix("w") && !width.isEmpty && width.allSatisfy(\.isASCIIDigit)) else {
            throw ConfigError("TMDB_POSTER_SIZE", "must be a TMDB poster size such as w342, w500 or original")
        }
        tmdb = TMDBSettings(
            apiURL: try Self.url(env, "TMDB_API_URL"),
            apiKey: env["TMDB_API_KEY"],
            readToken: env["TMDB_READ_TOKEN"],
            images: ImageSettings(baseURL: try Self.url(env, "TMDB_IMAGE_URL"), posterSize: posterSize)
        )
        if !tmdb.hasCredentials {
            warnings.append("neither TMDB_API_KEY nor TMDB_READ_TOKEN is set: poster_url will be null")
        }

        cacheTTL = Double(try Self.integer(env, "CACHE_TTL", in: 1...86_400))
        timeouts = Timeouts(
            connect: try Self.seconds(env, "UPSTREAM_CONNECT_TIMEOUT"),
            total: try Self.seconds(env, "UPSTREAM_TIMEOUT")
        )
        // The operator's own setting first (the env file may move it), then systemd's StateDirectory=.
        stateDirectory = env["TRAKT_WIDGET_STATE_DIR"]
            ?? env["STATE_DIRECTORY"].map { String($0.split(separator: ":").first ?? "") } ?? "./var"
        userAgent = env["TRAKT_WIDGET_USER_AGENT"] ?? "trakt-widget/\(Version.current)"
        databaseURL = env["DATABASE_URL"]
        bootstrapRefreshToken = refreshToken
        bootstrapAccessToken = accessToken
        self.warnings = warnings
    }

    /// `WATCH_PROVIDER`, or when unset: Trakt if it is configured, else the only configured provider.
    private static func provider(_ env: [String: String]) throws(ConfigError) -> ProviderKind {
        if let name = env["WATCH_PROVIDER"] {
            guard let kind = ProviderKind(rawValue: name.lowercased()) else {
                throw ConfigError("WATCH_PROVIDER", "'\(name)' is not one of trakt, simkl, letterboxd")
            }
            return kind
        }
        let configured = ProviderKind.allCases.filter { env[credential[$0]!] != nil }
        if configured.isEmpty || configured.contains(.trakt) { return .trakt }
        guard configured.count == 1 else {
            throw ConfigError("WATCH_PROVIDER", "must say which provider to use: \(configured.map { credential[$0]! }.joined(separator: " and ")) are both set")
        }
        return configured[0]
    }

    private static func isToken(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 256 && value.allSatisfy { $0.isASCII && !$0.isWhitespace && !$0.isNewline }
    }

    private static func isLetterboxdUsername(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 64 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func url(_ env: [String: String], _ name: String) throws(ConfigError) -> String {
        let value = env[name]!
        let schemeEnd = value.firstRange(of: "://")
        guard let schemeEnd, ["http", "https"].contains(value[..<schemeEnd.lowerBound].lowercased()) else {
            throw ConfigError(name, "'\(value)' is not an http(s) URL")
        }
        let rest = value[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !value.contains(where: { $0 == " " || $0.isNewline }), !rest.contains("?"), !rest.contains("#") else {
            throw ConfigError(name, "'\(value)' is not a valid base URL (scheme://host[:port][/path], no query)")
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    private static func integer(_ env: [String: String], _ name: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = Int(env[name]!), range.contains(value) else {
            throw ConfigError(name, "'\(env[name]!)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func seconds(_ env: [String: String], _ name: String) throws(ConfigError) -> Double {
        guard let value = Double(env[name]!), value > 0, value <= 120 else {
            throw ConfigError(name, "'\(env[name]!)' is not a number of seconds from 0 to 120")
        }
        return value
    }
}
