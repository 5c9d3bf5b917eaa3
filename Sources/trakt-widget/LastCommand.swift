import ArgumentParser
import TraktWidgetCore
import Logging

struct LastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "last",
        abstract: "Fetch once and print the JSON the endpoint would serve. Exit 0 on data, 1 on error."
    )

    func run() throws {
        let runtime = try Startup.runtime(try Startup.configuration(Startup.environment()))
        let provider = runtime.configuration.provider
        let failure = runtime.engine.refreshInline(force: true)
        // Trakt deployments print the original contract, byte for byte; the others /api/watch/last.
        let path = provider == .trakt ? RequestHandler.lastPath : RequestHandler.watchLastPath
        let response = runtime.handler.respond(to: HTTPRequest(method: "GET", path: path))
        print(String(decoding: response.body, as: UTF8.self))
        if let failure { Logger.shared.error(failure.diagnosis(for: provider)) }
        if failure != nil || response.status != 200 { throw ExitCode.failure }
    }
}
