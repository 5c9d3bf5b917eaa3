import ArgumentParser
import FastCGITransport
import Logging
import RefreshEngine
import ServiceManager
import SystemCalls
import Threads
import TraktWidgetCore

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
        let environment = Startup.environment()
        let isCGI = listen == nil && CGIResponder.isCGI(environment: environment)
        if !isCGI {
            // Before any thread exists (the runtime may start one, e.g. PostgreSQL's writer), so every
            // thread inherits the mask and SIGTERM reaches only `tw-signals` (see ShutdownSignals).
            ShutdownSignals.block()
        }
        let runtime = try Startup.runtime(try Startup.configuration(environment))

        if isCGI {
            // One request: SIGTERM keeps its default action and ends the process at once, whichever
            // thread it lands on, which is what a CGI server that gives up on us expects.
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

        let freezeFile = environment["TRAKT_WIDGET_DEBUG_FREEZE_FILE"]
        if let freezeFile {
            Logger.shared.warning("debug: the refresh thread freezes once \(freezeFile) exists (TRAKT_WIDGET_DEBUG_FREEZE_FILE)")
        }
        runtime.engine.startRefreshThread(freezeWhenExists: freezeFile)
        let notifier = ServiceNotifier(environment: environment)
        let server = FastCGIServer(
            listening: descriptor, workers: workers, handler: runtime.handler,
            onShutdown: { runtime.engine.shutdown() }
        )
        PosixThread.spawn(name: "tw-signals") {
            Logger.shared.info("received \(ShutdownSignals.wait())")
            server.requestShutdown()
        }
        // Beats come every second; a request may wait for one fetch and then for a slow reader.
        let limits = Liveness.Limits(
            beat: 5, request: runtime.coldWait + Double(FastCGIServer.connectionIOTimeout) * 2, fetch: runtime.coldWait + 5
        )
        let heartbeat = Heartbeat(
            notifier: notifier, limits: limits,
            liveness: {
                let activity = server.activity()
                return Liveness(
                    dispatcherBeat: activity.dispatcherBeat, oldestRequestSince: activity.oldestBusySince,
                    refresh: runtime.engine.activity
                )
            },
            health: { runtime.engine.health() }
        )

        var lastWrite: LastWrite?
        let status = server.run { event in
            switch event {
            case .ready:
                notifier.send("READY=1\nSTATUS=serving")
                heartbeat.start(clock: .system)
            case .stopping:
                notifier.send("STOPPING=1\nSTATUS=stopping: finishing in-flight requests")
                // Overlaps the drain: a rotated pair that only memory holds would die with this process.
                lastWrite = runtime.tokens?.beginLastWrite()
            case .drained:
                break
            }
        }
        if !runtime.engine.stopRefreshThread() {
            Logger.shared.info("the refresh thread is still in an upstream call; exiting without it")
        }
        lastWrite?.finish()
        if case .unix(let path) = listen.flatMap({ try? ListenAddress(parsing: $0) }) {
            // Our own socket file; a systemd-owned one is never unlinked.
            try? Syscalls.unlink(path)
        }
        // _exit, not exit: atexit handlers (OpenSSL, libcurl) must not run while the refresh thread may
        // still be inside them. Log lines are written unbuffered, so nothing is lost.
        Syscalls.exitImmediately(status)
    }
}
