import CurlClient
import FileStore
import Logging
import PostgresStore
import RefreshEngine
import SystemCalls
import TokenStorage
import TraktWidgetCore
import UpstreamClients

/// The assembled service: configuration → HTTP client, store, tokens, fetcher, engine, handler.
public final class Runtime: Sendable {
    public let configuration: Configuration
    public let store: any TokenStore
    public let http: HTTPClient
    public let tokens: TokenManager?
    public let engine: LastWatchedEngine
    public let handler: RequestHandler
    public let mode: HealthReport.Mode
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

        // Public mode needs no token at all, so no token can ever die. It applies when a username is set
        // and there is no OAuth token to use: no client secret, or no token stored or given.
        let record = try? store.loadTokens()
        let hasToken = record?.pair != nil || configuration.bootstrapRefreshToken != nil
        let isPublic = configuration.username != nil && (configuration.trakt.clientSecret == nil || !hasToken)
        mode = isPublic ? .public : .oauth

        var trakt = configuration.trakt
        trakt.publicUsername = isPublic ? configuration.username : nil
        if isPublic {
            tokens = nil
        } else {
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

        let fetcher = LastWatchedFetcher(
            http: http, trakt: TraktAPI(settings: trakt),
            tmdb: configuration.tmdb.hasCredentials ? TMDBAPI(settings: configuration.tmdb) : nil,
            tokens: tokens, images: configuration.tmdb.images, clock: clock
        )
        let policy = CachePolicy(ttl: configuration.cacheTTL)
        // A cold request waits at most for a token refresh, the history round and the TMDB round.
        coldWait = configuration.timeouts.total * 3 + 1
        engine = LastWatchedEngine(
            policy: policy, fetcher: fetcher, store: store, tokens: tokens, clock: clock, coldWait: coldWait
        )
        handler = RequestHandler(source: engine, ttl: Int(configuration.cacheTTL))
    }

    public static func makeStore(_ configuration: Configuration) throws -> any TokenStore {
        let local = try FileTokenStore(directory: configuration.stateDirectory)
        guard let databaseURL = configuration.databaseURL else { return local }
        return PostgresTokenStore(conninfo: databaseURL, local: local)
    }
}
