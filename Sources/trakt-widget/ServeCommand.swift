import ArgumentParser
import FastCGITransport
import Logging
import SystemCalls

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the FastCGI responder (the default).",
        discussion: """
            Without --listen it serves the socket it was given: systemd's (LISTEN_FDS), or fd 0 when \
            that is a listening socket (spawn-fcgi, StandardInput=socket). Started as a plain CGI program \
            (GATEWAY_INTERFACE set), it answers the one request and exits.
            """
    )

    @Option(help: "A unix socket path or HOST:PORT to listen on, e.g. /run/trakt-widget/fcgi.sock or 127.0.0.1:9000.")
    var listen: String?

    @Option(help: "Worker threads, each serving one request at a time.")
    var workers: Int = 4

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be from 1 to 256") }
    }

    func run() throws {
        // Before any thread exists, so every thread inherits the mask (see ShutdownSignals).
        ShutdownSignals.block()
        let environment = Startup.environment()
        let runtime = try Startup.runtime(try Startup.configuration(environment))

        if listen == nil, CGIResponder.isCGI(environment: environment) {
            runtime.engine.refreshInline()
            CGIResponder.write(runtime.handler.respond(to: CGIResponder.request(from: environment)))
            return
        }

        let descriptor: Int32
        do {
            if let listen {
                descriptor = try ListeningSocket.open(ListenAddress(parsing: listen))
            } else if let inherited = ListeningSocket.inherited(environment: environment) {
                descriptor = inherited
            } else {
                throw ListenError("no listening socket: pass --listen PATH|HOST:PORT, or start under systemd or spawn-fcgi")
            }
        } catch {
            Logger.shared.error("\(error)")
            throw ExitCode.failure
        }

        runtime.engine.startRefreshThread()
        let server = FastCGIServer(
            listening: descriptor, workers: workers, handler: runtime.handler,
            onShutdown: { runtime.engine.shutdown() }
        )
        let status = server.run()
        runtime.engine.waitForPersistence()
        if case .unix(let path) = listen.flatMap({ try? ListenAddress(parsing: $0) }) {
            // Our own socket file; a systemd-owned one is never unlinked.
            try? Syscalls.unlink(path)
        }
        throw ExitCode(status)
    }
}
