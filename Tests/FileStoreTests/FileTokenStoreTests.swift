import Foundation
import Synchronization
import Testing
import TraktWidgetCore
@testable import FileStore
import SystemCalls
import TestSupport
import TokenStorage
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileTokenStoreTests {
    static let t0 = 1_700_000_000.0

    static func pair(_ label: String, generation: Int) -> TokenPair {
        TokenPair(
            accessToken: "access-\(label)", refreshToken: "refresh-\(label)", expiresAt: t0 + 604_800,
            rotatedAt: t0, generation: generation
        )
    }

    static func result() -> PersistedResult {
        let cached = CachedResult(
            provider: .simkl,
            snapshot: WatchSnapshot(last: WatchedItem(
                kind: .episode, title: "千と千尋の神隠し", showTitle: "Show \"quoted\"", season: nil, episode: 2, year: 2001,
                posterURL: "https://image.tmdb.org/t/p/w500/x.jpg", url: nil, watchedAt: "2025-01-01T00:00:00.000Z"
            )),
            fetchedAt: t0, verifiedAt: t0 + 60, stale: true,
            posterRetry: PosterReference(kind: .tv, tmdbID: 8592),
            mark: ChangeMark(["all": "2025-01-01T00:00:00Z"])
        )
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: t0, retryAfter: 90, policy: CachePolicy(ttl: 300))
        return PersistedResult(cached, backoff: backoff)
    }

    @Test func freshStoreIsEmpty() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        #expect(store.kind == "file")
        #expect(try store.loadTokens() == TokenRecord())
        #expect(try store.loadLastResult() == nil)
        #expect(store.isReachable)
    }

    @Test func createsAMissingStateDirectoryPrivately() throws {
        let parent = TemporaryDirectory()
        let path = parent.file("state")
        _ = try FileTokenStore(directory: path)
        #expect(parent.mode("state") == 0o700)
    }

    @Test func failsWhenTheStateDirectoryCannotBeCreated() {
        #expect(throws: StoreError.self) {
            try FileTokenStore(directory: "/nonexistent-parent-\(getpid())/state")
        }
    }

    @Test func tokensRoundTrip() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 1))
        #expect(try store.loadTokens() == TokenRecord(pair: Self.pair("a", generation: 1), everHeld: true, rejected: false))
        // Another instance (another process) reads the same.
        #expect(try FileTokenStore(directory: directory.path).loadTokens().pair == Self.pair("a", generation: 1))
    }

    @Test func pairWithoutAccessTokenOrExpiryRoundTrips() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        let pair = TokenPair(accessToken: nil, refreshToken: "only-refresh", expiresAt: nil, rotatedAt: Self.t0, generation: 1)
        _ = try store.saveTokens(pair)
        #expect(try store.loadTokens().pair == pair)
    }

    @Test func saveTokensIncrementsTheGeneration() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 1))
        _ = try store.saveTokens(Self.pair("b", generation: 1))
        #expect(try store.loadTokens().pair?.generation == 2)
        #expect(try store.loadTokens().pair?.refreshToken == "refresh-b")
        _ = try store.saveTokens(Self.pair("c", generation: 0))
        #expect(try store.loadTokens().pair?.generation == 3)
        // A higher generation given by the caller is kept.
        _ = try store.saveTokens(Self.pair("d", generation: 10))
        #expect(try store.loadTokens().pair?.generation == 10)
    }

    @Test func lastResultRoundTrips() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        let result = Self.result()
        try store.saveLastResult(result)
        let loaded = try #require(try FileTokenStore(directory: directory.path).loadLastResult())
        #expect(loaded == result)
        // The restored result re-encodes to the very same body, so its ETag survives a restart.
        #expect(loaded.cachedResult.etag == result.cachedResult.etag)
    }

    @Test func filesArePrivate() throws {
        let directory = TemporaryDirectory()
        let previous = umask(0)
        defer { umask(previous) }
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 1))
        try store.saveLastResult(Self.result())
        #expect(directory.mode("tokens.json") == 0o600)
        #expect(directory.mode("last-result.json") == 0o600)
        #expect(directory.mode("store.lock") == 0o600)
        // No temporary files are left behind.
        #expect(directory.entries() == ["last-result.json", "store.lock", "tokens.json"])
    }

    @Test func aRotationLocksReadsWritesAndReleases() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("old", generation: 1))
        let new = Self.pair("new", generation: 2)
        let lock = try store.lockRotation(lastResort: false)
        #expect(try lock.read().pair == Self.pair("old", generation: 1))
        try lock.write(new)
        // Durable: a separate reader sees it the moment write returns, before the lock is released.
        #expect(try FileTokenStore(directory: directory.path).loadTokens().pair == new)
        lock.release()
        #expect(try store.loadTokens() == TokenRecord(pair: new, everHeld: true, rejected: false))
    }

    @Test func markRejectedMarksOnlyThatRefreshToken() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 1))
        store.markRejected(refreshToken: "refresh-other")
        #expect(try store.loadTokens().rejected == false)
        store.markRejected(refreshToken: "refresh-a")
        let loaded = try FileTokenStore(directory: directory.path).loadTokens()
        #expect(loaded.rejected)
        #expect(loaded.everHeld)
        #expect(loaded.pair == Self.pair("a", generation: 1))
        // A new pair from `trakt-widget auth` clears the rejection.
        _ = try store.saveTokens(Self.pair("b", generation: 1))
        #expect(try store.loadTokens().rejected == false)
    }

    /// A retried write never overwrites what another process rotated meanwhile.
    @Test func saveRotatedWritesOnlyANewerGeneration() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 3))
        let before = try directory.read("tokens.json")
        try store.saveRotated(Self.pair("older", generation: 2))
        try store.saveRotated(Self.pair("same", generation: 3))
        #expect(try directory.read("tokens.json") == before)
        try store.saveRotated(Self.pair("newer", generation: 4))
        #expect(try store.loadTokens().pair == Self.pair("newer", generation: 4))
    }

    @Test func clearTokensKeepsEverHeld() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        _ = try store.saveTokens(Self.pair("a", generation: 4))
        try store.clearTokens()
        #expect(try store.loadTokens() == TokenRecord(pair: nil, everHeld: true, rejected: false))
    }

    /// Eight threads race to refresh a pair they all loaded at generation 1. Each only "spends" the
    /// refresh token when the stored generation is still 1 and adopts otherwise, exactly as the token
    /// manager does. With the lock held across read, decide and write, exactly one replaces.
    @Test func concurrentRotateReplacesExactlyOnce() throws {
        let directory = TemporaryDirectory()
        let shared = try FileTokenStore(directory: directory.path)
        _ = try shared.saveTokens(Self.pair("initial", generation: 1))

        struct Tally { var replaces = 0; var adopts = 0; var errors: [String] = []; var inside = 0; var maxInside = 0 }
        let tally = Locked(Tally())
        runConcurrently(8) { index in
            do {
                // Half share one instance (the mutex), half open their own (only flock excludes them).
                let store = index.isMultiple(of: 2) ? shared : try FileTokenStore(directory: directory.path)
                let lock = try store.lockRotation(lastResort: false)
                defer { lock.release() }
                tally.withLock { $0.inside += 1; $0.maxInside = max($0.maxInside, $0.inside) }
                defer { tally.withLock { $0.inside -= 1 } }
                for _ in 0..<20 { sched_yield() }  // widen the window a race would need
                if try lock.read().pair?.generation == 1 {
                    try lock.write(Self.pair("thread-\(index)", generation: 2))
                    tally.withLock { $0.replaces += 1 }
                } else {
                    tally.withLock { $0.adopts += 1 }
                }
            } catch {
                tally.withLock { $0.errors.append("\(error)") }
            }
        }
        let result = tally.withLock { $0 }
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.replaces == 1)
        #expect(result.adopts == 7)
        #expect(result.maxInside == 1, "two rotations held the lock at once")
        let final = try shared.loadTokens()
        #expect(final.pair?.generation == 2)
        #expect(final.pair?.refreshToken.hasPrefix("refresh-thread-") == true)
    }

    /// The protocol promises safety across threads; the last result is written by the refresh loop and
    /// by inline refreshes alike.
    @Test func concurrentSaveLastResultNeverFailsOrTears() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        let errors = Locked<[String]>([])
        runConcurrently(8) { index in
            for round in 0..<25 {
                var result = Self.result()
                result.verifiedAt = Double(index * 1_000 + round)
                do {
                    try store.saveLastResult(result)
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }
        }
        let failures = errors.withLock { $0 }
        #expect(failures.count == 0, "first failure: \(failures.first ?? "")")
        #expect(try store.loadLastResult() != nil)
        #expect(directory.entries().allSatisfy { !$0.contains(".tmp") }, "\(directory.entries())")
    }

    @Test(arguments: [
        "{not json SECRET-refresh-c0ffee",
        #"{"tokens":{"refresh_token":"SECRET-refresh-c0ffee","generation":"one"}}"#,
        #"["SECRET-refresh-c0ffee"]"#,
        "",
    ])
    func corruptTokensFileFailsWithoutLeakingContent(_ content: String) throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        try directory.write("tokens.json", content)
        let error = #expect(throws: StoreError.self) { try store.loadTokens() }
        #expect(error?.description.contains("SECRET") == false)
        #expect(error?.description.contains("tokens.json") == true)
        // A refresh never spends a token it could not read.
        let lock = try store.lockRotation(lastResort: false)
        #expect(throws: StoreError.self) { try lock.read() }
        lock.release()
        #expect(try directory.read("tokens.json") == content)
    }

    @Test func corruptLastResultFailsWithoutLeakingContent() throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        try directory.write("last-result.json", #"{"item":"SECRET-body-1234""#)
        let error = #expect(throws: StoreError.self) { try store.loadLastResult() }
        #expect(error?.description.contains("SECRET") == false)
    }

    #if DEBUG
    /// A full disk or a failing fsync surfaces as the file store's own typed error, and the stored pair
    /// is left as it was.
    @Test(arguments: [(Syscall.write, Errno.noSpace), (.fsync, .ioError), (.rename, .readOnlyFileSystem)])
    func aFailingWriteKeepsThePairAndSaysWhy(_ call: Syscall, _ errno: Errno) throws {
        let directory = TemporaryDirectory()
        let store = try FileTokenStore(directory: directory.path)
        try store.saveTokens(Self.pair("a", generation: 1))
        let before = try directory.read("tokens.json")
        let error = FailureInjection.injecting([call: errno]) {
            #expect(throws: StoreError.self) { try store.saveTokens(Self.pair("b", generation: 2)) }
        }
        #expect((error?.cause as? FileStoreError)?.errno == errno)
        #expect(try directory.read("tokens.json") == before)
        #expect(directory.entries().allSatisfy { !$0.contains(".tmp.") })
    }
    #endif
}
