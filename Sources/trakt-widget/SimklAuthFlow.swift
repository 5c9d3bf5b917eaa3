import ArgumentParser
import CurlClient
import Logging
import SimklProvider
import SystemCalls
import TokenStorage
import TraktWidgetCore
import UpstreamClients

/// `trakt-widget auth --provider simkl`: Simkl's PIN flow. Every poll answers 200; the body says
/// pending, slow down, approved, or (with a fresh `device_code`) that the code is gone.
struct SimklAuthFlow {
    let api: SimklAPI
    let http: HTTPClient
    let store: any TokenStore
    let sleep: (Double) -> Void

    func run() throws {
        let pin: SimklPinCode
        switch ProviderResponse.body(http.send(api.pinRequest()), kind: .simkl) {
        case .success(let body):
            guard let parsed = SimklPinCode.parse(body) else {
                print("Simkl answered the PIN request with something unexpected; check SIMKL_CLIENT_ID.")
                throw ExitCode.failure
            }
            pin = parsed
        case .failure(let failure):
            print("Could not start the PIN flow: Simkl answered \(failure.code(for: .simkl)). Check SIMKL_CLIENT_ID and SIMKL_API_URL.")
            throw ExitCode.failure
        }
        AuthCommand.showCode(pin.userCode, at: pin.verificationURL, service: "Simkl", lifetime: pin.lifetime)
        var interval = pin.interval
        let deadline = WallClock.system.now() + pin.lifetime
        while WallClock.system.now() + interval <= deadline {
            sleep(interval)
            switch ProviderResponse.body(http.send(api.pinPollRequest(userCode: pin.userCode)), kind: .simkl) {
            case .failure(let failure):
                // A network blip should not waste a code the user may be typing right now.
                Logger.shared.warning("polling failed (\(failure.code(for: .simkl))); still waiting")
            case .success(let body):
                switch SimklPinPoll.parse(body) {
                case .authorized(let token):
                    return try save(token)
                case .pending, .malformed:
                    continue
                case .slowDown:
                    interval += 1
                case .codeGone:
                    print("The code \(pin.userCode) is no longer valid on Simkl (denied, used or deleted). Run `trakt-widget auth --provider simkl` again.")
                    throw ExitCode(AuthCommand.invalidExitCode)
                }
            }
        }
        print("The code expired before it was entered. Run `trakt-widget auth --provider simkl` again for a new one.")
        throw ExitCode(AuthCommand.expiredExitCode)
    }

    private func save(_ token: String) throws {
        Logger.shared.addSecret(token)
        do {
            try store.saveTokens(SimklTokenSource.pair(token, at: WallClock.system.now()))
            print("Authorized. The Simkl token is stored in the \(store.kind) store; running responders pick it up on their next refresh.")
        } catch {
            Logger.shared.error("Simkl authorized the app but the token could not be stored: \(error)")
            throw ExitCode.failure
        }
    }
}
