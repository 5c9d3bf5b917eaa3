#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// A mutex with a condition variable, for state that threads both guard and wait on.
///
/// `Synchronization.Mutex` cannot wait; cold requests must sleep until the single fetch lands.
/// Each lock has a place in the process's lock order (`LockRank`), checked in debug builds.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let rank: LockRank

    public init(rank: LockRank) {
        self.rank = rank
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines on the monotonic clock, so a wall-clock jump cannot stretch a wait.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try rank.held { () throws(E) -> T in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body()
        }
    }

    /// Waits, with the lock held by the caller, until `predicate` holds or `timeout` seconds pass.
    /// Returns whether the predicate holds.
    public func wait(until predicate: () -> Bool, timeout: Double) -> Bool {
        let deadline = Self.monotonicNow() + timeout
        while !predicate() {
            let remaining = deadline - Self.monotonicNow()
            if remaining <= 0 { return false }
            let target = Self.monotonicNow() + remaining
            var spec = timespec()
            spec.tv_sec = Int(target)
            spec.tv_nsec = Int((target - Double(Int(target))) * 1e9)
            pthread_cond_timedwait(condition, mutex, &spec)
        }
        return true
    }

    /// Waits with the lock held until `predicate` holds, without a deadline.
    public func wait(until predicate: () -> Bool) {
        while !predicate() {
            pthread_cond_wait(condition, mutex)
        }
    }

    public func broadcast() {
        pthread_cond_broadcast(condition)
    }

    /// Wakes one waiter: for a condition all waiters wait on for the same thing, where one can act.
    public func signal() {
        pthread_cond_signal(condition)
    }

    public static func monotonicNow() -> Double {
        Syscalls.monotonicNow()
    }
}
