import XCTest
@testable import TraktWidgetCore

final class LivenessTests: XCTestCase {
    private let limits = Liveness.Limits(beat: 5, request: 40, fetch: 30)

    func testAliveWhileEveryPartBeatsOrWorksWithinItsBound() {
        let now = 1_000.0
        XCTAssertNil(Liveness(dispatcherBeat: now - 1, oldestRequestSince: nil, refresh: .waiting(lastBeat: now - 1))
            .problem(now: now, limits: limits))
        // A long fetch and a cold request waiting on it are still within their bounds.
        XCTAssertNil(Liveness(dispatcherBeat: now, oldestRequestSince: now - 39, refresh: .fetching(since: now - 29))
            .problem(now: now, limits: limits))
    }

    func testEachWedgedPartStopsTheHeartbeat() {
        let now = 1_000.0
        let cases: [(Liveness, String)] = [
            (Liveness(dispatcherBeat: now - 6, oldestRequestSince: nil, refresh: .waiting(lastBeat: now)), "dispatcher silent for 6 s"),
            (Liveness(dispatcherBeat: now, oldestRequestSince: now - 41, refresh: .waiting(lastBeat: now)), "a request has run for 41 s"),
            (Liveness(dispatcherBeat: now, oldestRequestSince: nil, refresh: .waiting(lastBeat: now - 7)), "refresh thread silent for 7 s"),
            (Liveness(dispatcherBeat: now, oldestRequestSince: nil, refresh: .fetching(since: now - 31)), "refresh stuck in a fetch for 31 s"),
            (Liveness(dispatcherBeat: now, oldestRequestSince: nil, refresh: .stopped), "refresh thread not running"),
        ]
        for (liveness, problem) in cases {
            XCTAssertEqual(liveness.problem(now: now, limits: limits), problem)
        }
    }
}
