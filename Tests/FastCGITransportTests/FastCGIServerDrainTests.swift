import Foundation
import SystemCalls
import TestSupport
import Threads
import TraktWidgetCore
import XCTest
@testable import FastCGITransport
#if canImport(Glibc)
import Glibc
#endif

/// The shutdown order over the real libfcgi transport: stop accepting, finish what was accepted, then
/// return; a connection that arrives after the stop stays in the backlog for the next instance.
final class FastCGIServerDrainTests: XCTestCase {
    /// Answers `/api/trakt/last` only when the test opens the gate.
    private final class GatedSource: LastWatchedSource, @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)

        func lastWatched() -> LastWatchedLookup {
            entered.signal()
            gate.wait()
            return .failure(.upstreamUnavailable(retryAfter: 1))
        }

        func health() -> HealthReport {
            HealthReport(
                canServe: true, mode: .public, tokenState: "not_used", tokenExpiresAt: nil, tokenRotatedAt: nil,
                storeKind: "file", storeReachable: true, cacheAge: nil, cacheStale: false, lastSuccessAt: nil,
                lastErrorCode: nil
            )
        }
    }

    private enum Step: Equatable {
        case server(ServerEvent)
        case onShutdown
        case returned
    }

    func testShutdownStopsAcceptingThenDrainsThenReturns() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("fcgi.sock")
        let listener = try ListeningSocket.open(.unix(path: path))
        defer { close(listener) }
        let source = GatedSource()
        let steps = Locked<[Step]>([])
        let ready = DispatchSemaphore(value: 0)
        let stopping = DispatchSemaphore(value: 0)
        let server = FastCGIServer(
            listening: listener, workers: 2, handler: RequestHandler(source: source, ttl: 60),
            onShutdown: { steps.withLock { $0.append(.onShutdown) } }
        )
        let finished = DispatchSemaphore(value: 0)
        PosixThread.spawn(name: "test-dispatcher") {
            _ = server.run { event in
                steps.withLock { $0.append(.server(event)) }
                if event == .ready { ready.signal() }
                if event == .stopping { stopping.signal() }
            }
            steps.withLock { $0.append(.returned) }
            finished.signal()
        }
        XCTAssertEqual(ready.wait(timeout: .now() + 10), .success)

        let inFlight = FastCGITestClient(path: path)
        defer { inFlight.close() }
        inFlight.send(path: "/api/trakt/last")
        XCTAssertEqual(source.entered.wait(timeout: .now() + 10), .success, "the request never reached the handler")

        server.requestShutdown()
        XCTAssertEqual(stopping.wait(timeout: .now() + 10), .success)
        let late = FastCGITestClient(path: path)
        defer { late.close() }
        late.send(path: "/api/trakt/health")
        XCTAssertEqual(steps.value.last, .server(.stopping), "the server must still be draining the request in flight")

        source.gate.signal()
        XCTAssertEqual(FastCGITestClient.status(in: inFlight.readAll()), "Status: 503", "the request in flight must be answered")
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(steps.value, [.server(.ready), .server(.stopping), .server(.drained(complete: true)), .returned])

        // The late connection is still in the listen queue, with its request unread: the next instance
        // serves it.
        let waiting = accept(listener, nil, nil)
        XCTAssertGreaterThanOrEqual(waiting, 0, "the late connection was taken from the backlog")
        close(waiting)
    }

    func testDeadlineWakesWaitingRequestsThenReturns() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("fcgi.sock")
        let listener = try ListeningSocket.open(.unix(path: path))
        defer { close(listener) }
        let source = GatedSource()
        let steps = Locked<[Step]>([])
        let ready = DispatchSemaphore(value: 0)
        let server = FastCGIServer(
            listening: listener, workers: 1, handler: RequestHandler(source: source, ttl: 60),
            // What the engine does: wake the requests still waiting on upstream.
            onShutdown: {
                steps.withLock { $0.append(.onShutdown) }
                source.gate.signal()
            }
        )
        let finished = DispatchSemaphore(value: 0)
        PosixThread.spawn(name: "test-dispatcher") {
            _ = server.run { event in
                steps.withLock { $0.append(.server(event)) }
                if event == .ready { ready.signal() }
            }
            finished.signal()
        }
        XCTAssertEqual(ready.wait(timeout: .now() + 10), .success)
        let stuck = FastCGITestClient(path: path)
        defer { stuck.close() }
        stuck.send(path: "/api/trakt/last")
        XCTAssertEqual(source.entered.wait(timeout: .now() + 10), .success)

        let started = ConditionLock.monotonicNow()
        server.requestShutdown()
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
        let took = ConditionLock.monotonicNow() - started
        XCTAssertEqual(steps.value, [.server(.ready), .server(.stopping), .onShutdown, .server(.drained(complete: true))])
        XCTAssertGreaterThanOrEqual(took, FastCGIServer.drainDeadline)
        XCTAssertLessThan(took, FastCGIServer.drainDeadline + FastCGIServer.abortGrace + 0.5)
        XCTAssertEqual(FastCGITestClient.status(in: stuck.readAll()), "Status: 503")
    }
}
