#if canImport(Glibc)
import Glibc
#endif

/// The lock order of the process. A thread may take a lock only when every ranked lock it already
/// holds has a lower rank; debug builds check this on every acquisition and stop at the first
/// violation, release builds compile the check away.
///
/// The refresh path takes, in order:
/// 1. `refreshGate`: `TokenManager` lets one refresh run in the process.
/// 2. `postgresConnection`: a `PGConnectionSlot`'s connection (libpq forbids sharing one), held for one
///    statement or transaction. The rotation's session advisory lock lives on the database, not in
///    this process: it is taken and released by statements, and outlasts neither the session nor the
///    rotation.
/// 3. `stateFile`: `FileLock`, the thread exclusion and then the `flock` on `store.lock` in the state
///    directory (the local copy beside PostgreSQL, or the whole file store). Held across the Trakt call
///    of a file-store rotation (`enter`/`leave`), so nothing ranked below it is taken meanwhile.
///
/// 4. `stateFileWaiters`: `FileLock`'s own bookkeeping of which thread holds the `flock`, a few fields.
///
/// Leaves: `pendingWrites` (`PostgresTokenStore`'s last result waiting for the background thread),
/// `engineState` (`LastWatchedEngine`) and `serverBusy` (the FastCGI server's `ConnectionQueue`) are
/// held only to read or change a few fields; nothing else is taken under them. Unranked `Mutex`es (the token lifecycle,
/// the logger, the poster cache) are leaves too and are never held across a call out.
public enum LockRank: Int, Sendable, Comparable {
    case refreshGate = 1
    case postgresConnection = 2
    case stateFile = 3
    case stateFileWaiters = 4
    case engineState = 10
    case serverBusy = 11
    case pendingWrites = 12

    public static func < (lhs: LockRank, rhs: LockRank) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Runs `body` with this rank recorded as held by the calling thread. Call it around taking the lock.
    @inline(__always)
    public func held<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        enter()
        defer { leave() }
        return try body()
    }

    /// Records this rank as held from here until `leave`, for a lock held across calls (the state
    /// directory's `flock` during a rotation). Call it before taking the lock.
    @inline(__always)
    public func enter() {
        #if DEBUG
        HeldRanks.push(self)
        #endif
    }

    @inline(__always)
    public func leave() {
        #if DEBUG
        HeldRanks.pop(self)
        #endif
    }
}

#if DEBUG
/// The ranks the calling thread holds, innermost last, in thread-local storage.
private enum HeldRanks {
    final class Stack {
        var ranks: [LockRank] = []
    }

    nonisolated(unsafe) static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in raw.map { Unmanaged<Stack>.fromOpaque($0).release() } }
        return key
    }()

    static var stack: Stack {
        if let raw = pthread_getspecific(key) { return Unmanaged<Stack>.fromOpaque(raw).takeUnretainedValue() }
        let stack = Stack()
        pthread_setspecific(key, Unmanaged.passRetained(stack).toOpaque())
        return stack
    }

    static func push(_ rank: LockRank) {
        let stack = stack
        if let innermost = stack.ranks.last, innermost >= rank {
            preconditionFailure("lock order violated: taking \(rank) while holding \(innermost) (see LockRank)")
        }
        stack.ranks.append(rank)
    }

    static func pop(_ rank: LockRank) {
        let stack = stack
        precondition(stack.ranks.last == rank, "lock \(rank) released out of order")
        stack.ranks.removeLast()
    }
}
#endif
