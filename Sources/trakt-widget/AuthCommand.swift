import ArgumentParser
import TraktWidgetCore
import Composition
import CurlClient
import Logging
import SimklProvider
import SystemCalls
import TokenStorage
import UpstreamClients

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Authorize this server with Trakt (or Simkl) and store the token.",
        discussion: """
            The default is Trakt's device flow, made for a server without a browser: it prints a code and \
            a URL to enter it at, then waits. --oob prints the authorize URL and reads the code Trakt shows \
            you; --code exchanges such a code directly. The pair goes into the configured store (Postgres \
            with DATABASE_URL, else the state file); running responders pick it up without a restart.
            --provider simkl runs Simkl's PIN flow instead (needs SIMKL_CLIENT_ID): enter the code it prints \
            at simkl.com/pin. Letterboxd needs no authorization.
            Exit codes: 0 authorized, 1 failed, 3 denied, 4 code expired, 5 code invalid or already used.
            """
    )

    @Option(help: "trakt (default) or simkl.")
    var provider: ProviderKind = .trakt

    @Option(help: "Exchange this authorization code (the out-of-band flow).")
    var code: String?

    @Flag(help: "Print the authorize URL, then read the code from standard input.")
    var oob = false

    @Flag(help: "Revoke the stored token at Trakt and clear the store.")
    var revoke = false

    @Flag(help: "Also print the tokens (they are secrets: never paste them anywhere).")
    var printTokens = false

    static let deniedExitCode: Int32 = 3
    static let expiredExitCode: Int32 = 4
    static let invalidExitCode: Int32 = 5

    func run() throws {
        var environment = Startup.environment()
        environment["WATCH_PROVIDER"] = provider.rawValue
        let configuration = try Startup.configuration(environment)
        if provider == .letterboxd {
            print("Letterboxd needs no authorization: a public profile and LETTERBOXD_USERNAME are enough.")
            return
        }
        if let simkl = configuration.simkl {
            let (store, http) = try connections(configuration)
            try SimklAuthFlow(api: SimklAPI(settings: simkl), http: http, store: store, sleep: { Syscalls.sleep(seconds: $0) }).run()
            return
        }
        guard let trakt = configuration.trakt, trakt.clientSecret != nil else {
            Logger.shared.error("TRAKT_CLIENT_SECRET is required to authorize (OAuth mode)")
            throw ExitCode(Startup.configurationExitCode)
        }
        let (store, http) = try connections(configuration)
        let oauth = OAuthClient(settings: trakt, http: http)

        if revoke {
            try revokeStored(store: store, oauth: oauth)
            return
        }
        let grant: OAuthGrant
        if let code {
            grant = try exchange(code, oauth: oauth)
        } else if oob {
            print("Open this URL, approve the app, and paste the code Trakt shows you:\n\n  \(oauth.authorizeURL())\n")
            print("Code: ", terminator: "")
            let pasted = readLine()?.split(whereSeparator: \.isWhitespace).first.map(String.init)
            guard let pasted else { throw ExitCode.failure }
            grant = try exchange(pasted, oauth: oauth)
        } else {
            grant = try deviceFlow(oauth: oauth)
        }
        try save(grant, to: store)
    }

    private func connections(_ configuration: Configuration) throws -> (any TokenStore, HTTPClient) {
        do {
            return (try Runtime.makeStore(configuration), try HTTPClient(userAgent: configuration.userAgent, timeouts: configuration.timeouts))
        } catch {
            Logger.shared.error("cannot start: \(error)")
            throw ExitCode.failure
        }
    }

    private func exchange(_ code: String, oauth: OAuthClient) throws -> OAuthGrant {
        switch oauth.exchange(code: code) {
        case .success(let grant): return grant
        case .failure(.reauthRequired):
            print("Trakt rejected the code (invalid_grant): it is wrong, used, or expired, or TRAKT_REDIRECT_URI differs from the app's.")
            throw ExitCode(Self.invalidExitCode)
        case .failure(let failure):
            print("Authorization failed: \(failure.diagnosis)")
            throw ExitCode.failure
        }
    }

    private func deviceFlow(oauth: OAuthClient) throws -> OAuthGrant {
        let device: DeviceCode
        switch oauth.deviceCode() {
        case .success(let value): device = value
        case .failure(let failure):
            print("Could not start the device flow: \(failure.diagnosis)")
            throw ExitCode.failure
        }
        Self.showCode(device.userCode, at: device.verificationURL, service: "", lifetime: device.lifetime)
        var interval = device.pollInterval
        let deadline = WallClock.system.now() + device.lifetime
        while WallClock.system.now() < deadline {
            Syscalls.sleep(seconds: interval)
            switch oauth.pollDeviceToken(device.deviceCode) {
            case .authorized(let grant):
                return grant
            case .pending:
                continue
            case .slowDown:
                interval += 1
            case .denied:
                print("Authorization was denied on Trakt. Run `trakt-widget auth` again to retry.")
                throw ExitCode(Self.deniedExitCode)
            case .expired:
                print("The code expired before it was entered. Run `trakt-widget auth` again for a new one.")
                throw ExitCode(Self.expiredExitCode)
            case .invalidCode:
                print("Trakt does not know this device code. Run `trakt-widget auth` again.")
                throw ExitCode(Self.invalidExitCode)
            case .alreadyUsed:
                print("This code was already used. Run `trakt-widget auth` again for a new one.")
                throw ExitCode(Self.invalidExitCode)
            case .failed(let failure):
                // A network blip should not waste a code the user may be typing right now.
                Logger.shared.warning("polling failed (\(failure.code)); still waiting")
            }
        }
        print("The code expired before it was entered. Run `trakt-widget auth` again for a new one.")
        throw ExitCode(Self.expiredExitCode)
    }

    private func save(_ grant: OAuthGrant, to store: any TokenStore) throws {
        let now = WallClock.system.now()
        let pair = TokenPair(
            accessToken: grant.accessToken, refreshToken: grant.refreshToken,
            expiresAt: grant.expiresAt(requestedAt: now), rotatedAt: now, generation: 0
        )
        do {
            let expires = Timestamp.format(pair.expiresAt ?? now)
            if let elsewhere = try store.saveTokens(pair) {
                print("Authorized, but PostgreSQL was unreachable: the grant went to \(elsewhere). The access token expires \(expires).")
            } else {
                let stored = try store.loadTokens()
                print("Authorized. Stored in the \(store.kind) store at \(store.location) (generation \(stored.pair?.generation ?? 0)); the access token expires \(expires).")
            }
        } catch {
            Logger.shared.error("Trakt authorized the app but the token could not be stored: \(error)")
            throw ExitCode.failure
        }
        if printTokens {
            print("access_token:  \(grant.accessToken ?? "(none)")\nrefresh_token: \(grant.refreshToken)")
        }
    }

    private func revokeStored(store: any TokenStore, oauth: OAuthClient) throws {
        do {
            let record = try store.loadTokens()
            if let access = record.pair?.accessToken {
                if case .failure(let failure) = oauth.revoke(access) {
                    print("Trakt did not confirm the revocation: \(failure.diagnosis)")
                }
            }
            try store.clearTokens()
            print("Revoked and cleared the \(store.kind) store. Run `trakt-widget auth` to authorize again.")
        } catch {
            Logger.shared.error("could not revoke: \(error)")
            throw ExitCode.failure
        }
    }

    /// The one prompt of both code flows (Trakt's device code, Simkl's PIN).
    static func showCode(_ code: String, at url: String, service: String, lifetime: Double) {
        print("""

            To authorize trakt-widget\(service.isEmpty ? "" : " with \(service)"), open

                \(url)

            and enter the code

                \(code)

            Waiting for you (this code expires in \(Int(saturating: lifetime / 60)) min)…
            """)
    }
}

extension ProviderKind: ExpressibleByArgument {}
