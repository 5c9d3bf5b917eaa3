import CurlClient
import FileStore
import LetterboxdProvider
import Logging
import PosterLookup
import PostgresStore
import RefreshEngine
import SimklProvider
import SystemCalls
import TokenStorage
import TraktProvider
import TraktWidgetCore
import UpstreamClients

/// The assembled service: configuration → HTTP client, store, provider, engine, handler.
public final class Runtime: Sendable {
    public let configuration: Configuration
    public let store: any TokenStore
    public let http: HTTPClient
    /// Trakt's token manager in OAuth mode; nil for every other provider and mode.
    public let tokens: TokenManager?
    public let auth: AuthStatus
    public let engine: LastWatchedEngine
    public let handler: RequestHandler
    /// The longest one refresh may take (token refresh, history and TMDB rounds), which is also the
    /// longest a cold request waits for it.
    public let coldWait: Double

    public init(configuration: Configuration, clock: WallClock = .system) throws {
        self.configuration = configuration
        let log = Logger.shared
        configuration.secrets.forEach(log.addSecret)
        configuration.warnings.forEach { log.warning($0) }

        store = try Self.makeStore(configuration)
        http = try HTTPClient(userAgent: configuration.userAgent, timeouts: configuration.timeouts)
        let posters = PosterResolver(
            http: http, tmdb: configuration.tmdb.hasCredentials ? TMDBAPI(settings: configuration.tmdb) : nil,
            images: configuration.tmdb.images, clock: clock
        )

        let provider: any WatchProvider
        var tokens: TokenManager?
        if let simkl = configuration.simkl {
            let source = SimklTokenSource(store: store, clock: clock)
            do {
                try source.bootstrap(environmentToken: configuration.bootstrapSimklToken)
            } catch {
                log.error("could not read the token store (\(error)); the environment token is not used after a read error")
            }
            provider = SimklWatchProvider(http: http, api: SimklAPI(settings: simkl), tokens: source, posters: posters)
            auth = .simkl(source)
        } else if let letterboxd = configuration.letterboxd {
            provider = LetterboxdWatchProvider(http: http, settings: letterboxd, posters: posters)
            auth = .none
        } else if let traktSettings = configuration.trakt {
            // Public mode needs no token at all, so no token can ever die. It applies when a username is
            // set and there is no OAuth token to use: no client secret, or no token stored or given.
            let record = try? store.loadTokens()
            let hasToken = record?.pair != nil || configuration.bootstrapRefreshToken != nil
            let isPublic = configuration.username != nil && (traktSettings.clientSecret == nil || !hasToken)
            var trakt = traktSettings
            trakt.publicUsername = isPublic ? configuration.username : nil
            if !isPublic {
                let manager = TokenManager(store: store, oauth: OAuthClient(settings: trakt, http: http), clock: clock)
                do {
                    try manager.bootstrap(
                        environmentRefreshToken: configuration.bootstrapRefreshToken,
                        environmentAccessToken: configuration.bootstrapAccessToken
                    )
                } catch {
                    log.error("could not read the token store (\(error)); the environment token is not used after a read error")
                }
                tokens = manager
            }
            provider = TraktWatchProvider(http: http, trakt: TraktAPI(settings: trakt), tokens: tokens, posters: posters)
            auth = tokens.map(AuthStatus.trakt) ?? .none
        } else {
            throw ConfigError("WATCH_PROVIDER", "no provider is configured")
        }
        self.tokens = tokens

        let policy = CachePolicy(ttl: configuration.cacheTTL)
        // A cold request waits at most for a token refresh, the history round and the TMDB round (a card
        // request also for the poster images round, after the JSON is out).
        coldWait = configuration.timeouts.total * 3 + 1
        engine = LastWatchedEngine(
            policy: policy, provider: provider, posters: posters, store: store, auth: auth, clock: clock,
            coldWait: coldWait,
            posterImages: PosterBytes(http: http, clock: clock), cardPosters: CardPosters(images: configuration.tmdb.images)
        )
        handler = RequestHandler(source: engine, ttl: Int(configuration.cacheTTL), provider: configuration.provider)
    }

    public static func makeStore(_ configuration: Configuration) throws -> any TokenStore {
        let local = try FileTokenStore(directory: configuration.stateDirectory)
        guard let databaseURL = configuration.databaseURL else { return local }
        return PostgresTokenStore(conninfo: databaseURL, local: local)
    }
}
