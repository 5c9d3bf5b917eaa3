import Testing
import Threads

@Suite struct LockRankTests {
    @Test func locksTakenInRankOrderNest() {
        let outer = ConditionLock(rank: .refreshGate)
        let inner = ConditionLock(rank: .engineState)
        let value = outer.withLock { inner.withLock { 42 } }
        #expect(value == 42)
    }

    #if DEBUG
    @Test func takingALowerRankInsideAHigherOneStops() async {
        await #expect(processExitsWith: .failure) {
            let outer = ConditionLock(rank: .engineState)
            let inner = ConditionLock(rank: .refreshGate)
            outer.withLock { inner.withLock {} }
        }
    }
    #endif
}
