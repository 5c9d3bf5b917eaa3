import ArgumentParser
import TraktWidgetCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration, the token store and the token, and do one live fetch.",
        discussion: "Prints a plain-language diagnosis for each problem and never prints a secret. Exit 0 when all is well."
    )

    func run() throws {
        let configuration = try Startup.configuration(Startup.environment())
        let provider = configuration.provider
        print("config:  ok (provider \(provider.rawValue), cache TTL \(Int(configuration.cacheTTL)) s, user agent \(configuration.userAgent))")
        let runtime = try Startup.runtime(configuration)
        var healthy = true

        let reachable = runtime.store.isReachable
        print("store:   \(runtime.store.kind) — \(reachable ? "reachable" : "NOT reachable")")
        if !reachable, let problem = runtime.store.lastProblem {
            // libpq's own words tell a wrong password from a missing database (the password is redacted).
            print("         PostgreSQL said: \(problem)")
        }
        healthy = healthy && reachable

        print("mode:    \(runtime.auth.mode.rawValue)")
        if let tokens = runtime.tokens {
            let phase = tokens.phase
            let pair = tokens.pair
            let expiry = pair?.expiresAt.map(Timestamp.format) ?? "unknown"
            let rotated = pair.map { Timestamp.format($0.rotatedAt) } ?? "never"
            print("token:   \(phase.rawValue), expires \(expiry), last rotated \(rotated)")
            if phase == .missing || phase == .reauthRequired {
                print("         → run `trakt-widget auth` to authorize this server with Trakt")
                healthy = false
            }
        } else if runtime.auth.mode == .oauth {
            let phase = runtime.auth.phase()
            print("token:   \(phase.rawValue)")
            if phase == .missing || phase == .reauthRequired {
                print("         → run `trakt-widget auth --provider \(provider.rawValue)` to authorize this server")
                healthy = false
            }
        }
        if !runtime.configuration.tmdb.hasCredentials {
            print("tmdb:    no TMDB_API_KEY or TMDB_READ_TOKEN: posters will be null")
        }

        if let failure = runtime.engine.refreshInline(force: true) {
            print("\(provider.rawValue):   FAILED — \(failure.diagnosis(for: provider))")
            healthy = false
        } else if case .result(let result, _) = runtime.engine.lastWatched() {
            print("\(provider.rawValue):   ok — \(describe(result.item))")
            if result.item != nil && result.item?.posterURL == nil && runtime.configuration.tmdb.hasCredentials {
                print("tmdb:    no poster for this item (TMDB has none, or TMDB failed: see the log above)")
            }
        }
        if let tokens = runtime.tokens, tokens.pair != nil {
            if tokens.persisted {
                print("token:   persisted: true (\(runtime.store.location))")
            } else {
                print("""
                    token:   persisted: false — Trakt issued a new pair (the old one is spent) that no store has written; \
                    the log above says why. This process holds the only copy: a restart now would lose it, and then only \
                    `trakt-widget auth` helps. Fix the store (free space, make it writable, bring the database back).
                    """)
                healthy = false
            }
        }
        if !healthy { throw ExitCode.failure }
    }

    private func describe(_ item: WatchedItem?) -> String {
        guard let item else { return "no watch history yet" }
        let title = item.title ?? "untitled"
        switch item.kind {
        case .movie: return "last watched the movie \"\(title)\" at \(item.watchedAt)"
        case .episode: return "last watched \"\(title)\" of \"\(item.showTitle ?? "a show")\" at \(item.watchedAt)"
        }
    }
}
