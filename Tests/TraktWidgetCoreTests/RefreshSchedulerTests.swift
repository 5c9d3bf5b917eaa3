import Testing
import TraktWidgetCore

/// The scheduler as a plain value: cold waits, shutdown and backoff, without threads or a clock.
@Suite struct RefreshSchedulerTests {
    static let policy = CachePolicy(ttl: 300)
    static let t0 = 1_700_000_000.0
    static let timeout = RefreshError(code: "TRAKT_TIMEOUT", source: .upstream)

    static func result(verifiedAt: Double = t0) -> CachedResult {
        CachedResult(provider: .trakt, snapshot: .empty, fetchedAt: verifiedAt, verifiedAt: verifiedAt, posterRetry: nil, mark: nil)
    }

    /// The actions, as short names, so a test reads like the sequence it expects.
    static func names(_ actions: [RefreshAction]) -> [String] {
        actions.map { action in
            switch action {
            case .startRefresh: "start"
            case .wakeWaiters: "wake"
            case .answer(_, let maxAge): "answer \(maxAge)"
            case .answerUnavailable(let retryAfter, let reauth): reauth ? "reauth \(retryAfter)" : "503 \(retryAfter)"
            case .waitForLanding(let ticket): "wait \(ticket)"
            case .fetch(let previous): previous == nil ? "fetch" : "fetch from previous"
            case .persist: "persist"
            case .backOff(let until, let failure): "back off \(Int(until - t0)) \(failure.code)"
            case .stopRefresher: "stop"
            }
        }
    }

    // MARK: Cold waits

    @Test func aColdRequestStartsOneRefreshAndLaterOnesJoinIt() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        #expect(Self.names(scheduler.request(now: Self.t0)) == ["start", "wait 1"])
        #expect(scheduler.refresherHasWork)
        #expect(Self.names(scheduler.request(now: Self.t0)) == ["wait 1"])
        #expect(Self.names(scheduler.begin()) == ["fetch"])
        #expect(!scheduler.refresherHasWork)
        // Joining while the fetch is in flight starts nothing either.
        #expect(Self.names(scheduler.request(now: Self.t0)) == ["wait 1"])
        #expect(!scheduler.hasLanded(1))

        let result = Self.result()
        #expect(Self.names(scheduler.land(.success(result), now: Self.t0)) == ["wake", "persist"])
        #expect(scheduler.hasLanded(1))
        let answer = scheduler.waitEnded(ticket: 1, now: Self.t0 + 10)
        guard case .answer(let served, let maxAge)? = answer.first else {
            Issue.record("expected an answer, got \(Self.names(answer))")
            return
        }
        #expect(served === result)
        #expect(maxAge == 290)
    }

    @Test func aColdWaitThatRunsOutAnswers503InOneSecond() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        #expect(Self.names(scheduler.waitEnded(ticket: 1, now: Self.t0 + 25)) == ["503 1"])
    }

    @Test func aColdWaiterOfAFailedRefreshIsToldTheBackoff() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        // Nothing cached: nothing to persist.
        #expect(Self.names(scheduler.land(.failure(Self.timeout), now: Self.t0)) == ["wake", "back off 30 TRAKT_TIMEOUT"])
        #expect(Self.names(scheduler.waitEnded(ticket: 1, now: Self.t0)) == ["503 30"])
    }

    @Test func aRejectedTokenAnswersReauth() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        _ = scheduler.land(.failure(RefreshError(code: "REAUTH_REQUIRED", source: .reauthRequired)), now: Self.t0)
        #expect(Self.names(scheduler.waitEnded(ticket: 1, now: Self.t0)) == ["reauth 30"])
        #expect(Self.names(scheduler.request(now: Self.t0 + 1)) == ["reauth 29"])
    }

    // MARK: Shutdown

    @Test func shutdownReleasesColdWaitersAndStopsTheRefresher() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        #expect(Self.names(scheduler.shutdown()) == ["wake"])
        #expect(scheduler.hasLanded(1))
        #expect(Self.names(scheduler.waitEnded(ticket: 1, now: Self.t0)) == ["503 1"])
        #expect(scheduler.refresherHasWork)
        #expect(Self.names(scheduler.begin()) == ["stop"])
    }

    @Test func shutdownStillServesWhatIsCached() {
        var scheduler = RefreshScheduler(policy: Self.policy, restored: (Self.result(), RefreshBackoff()))
        _ = scheduler.shutdown()
        #expect(Self.names(scheduler.request(now: Self.t0 + 1)) == ["answer 299"])
    }

    // MARK: Backoff

    @Test func aBackingOffColdCacheFailsFastWithoutStartingARefresh() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        _ = scheduler.land(.failure(Self.timeout), now: Self.t0)
        #expect(Self.names(scheduler.request(now: Self.t0 + 10)) == ["503 20"])
        #expect(!scheduler.refresherHasWork)
        #expect(!scheduler.inlineRefreshDue(now: Self.t0 + 10, force: false))
        #expect(scheduler.inlineRefreshDue(now: Self.t0 + 10, force: true))
        // Once it has passed, the next request tries again.
        #expect(Self.names(scheduler.request(now: Self.t0 + 31)) == ["start", "wait 2"])
    }

    @Test func backoffDoublesAndHonoursRetryAfter() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.begin()
        #expect(Self.names(scheduler.land(.failure(Self.timeout), now: Self.t0)) == ["wake", "back off 30 TRAKT_TIMEOUT"])
        _ = scheduler.begin()
        #expect(Self.names(scheduler.land(.failure(Self.timeout), now: Self.t0)) == ["wake", "back off 60 TRAKT_TIMEOUT"])
        _ = scheduler.begin()
        let limited = RefreshError(code: "TRAKT_RATE_LIMITED", source: .upstream, retryAfter: 1_000)
        #expect(Self.names(scheduler.land(.failure(limited), now: Self.t0)) == ["wake", "back off 1000 TRAKT_RATE_LIMITED"])
        _ = scheduler.begin()
        _ = scheduler.land(.success(Self.result()), now: Self.t0)
        #expect(scheduler.backoff == RefreshBackoff())
        #expect(scheduler.lastUpstreamError == nil)
    }

    @Test func anExpiredResultIsServedStaleWhileBackingOff() {
        var scheduler = RefreshScheduler(policy: Self.policy, restored: (Self.result(), RefreshBackoff()))
        #expect(Self.names(scheduler.request(now: Self.t0 + 400)) == ["start", "answer 1"])
        #expect(Self.names(scheduler.request(now: Self.t0 + 400)) == ["answer 1"])
        #expect(Self.names(scheduler.begin()) == ["fetch from previous"])
        #expect(Self.names(scheduler.land(.failure(Self.timeout), now: Self.t0 + 400)) == ["wake", "back off 430 TRAKT_TIMEOUT", "persist"])
        #expect(scheduler.cached?.stale == true)
        #expect(Self.names(scheduler.request(now: Self.t0 + 410)) == ["answer 1"])
        #expect(!scheduler.refresherHasWork)
    }

    @Test func aRestoredBackoffStillHolds() {
        var backoff = RefreshBackoff()
        backoff.recordFailure(now: Self.t0, retryAfter: nil, policy: Self.policy)
        var scheduler = RefreshScheduler(policy: Self.policy, restored: (Self.result(verifiedAt: Self.t0 - 1_000), backoff))
        #expect(Self.names(scheduler.request(now: Self.t0 + 1)) == ["answer 1"])
        #expect(scheduler.lastSuccessAt == Self.t0 - 1_000)
    }

    // MARK: Landing and persistence

    @Test func aPartialResultIsServedAndNamesWhatFailed() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.request(now: Self.t0)
        _ = scheduler.begin()
        let missing = RefreshError(code: "TRAKT_HTTP_502", source: .upstream)
        #expect(Self.names(scheduler.land(.partial(Self.result(), missing), now: Self.t0)) == ["wake", "back off 30 TRAKT_HTTP_502", "persist"])
        #expect(Self.names(scheduler.waitEnded(ticket: 1, now: Self.t0)) == ["answer 300"])
        #expect(scheduler.lastUpstreamError == missing)
        #expect(scheduler.lastSuccessAt == Self.t0)
    }

    /// A 429 on one history holds every Trakt call back until its Retry-After, though the result is served.
    @Test func aPartialRateLimitHonoursRetryAfter() {
        var scheduler = RefreshScheduler(policy: CachePolicy(ttl: 1))
        _ = scheduler.begin()
        let limited = RefreshError(code: "TRAKT_RATE_LIMITED", source: .upstream, retryAfter: 45)
        #expect(Self.names(scheduler.land(.partial(Self.result(), limited), now: Self.t0)) == ["wake", "back off 45 TRAKT_RATE_LIMITED", "persist"])
        #expect(Self.names(scheduler.request(now: Self.t0 + 44)) == ["answer 1"])
        #expect(Self.names(scheduler.request(now: Self.t0 + 45)) == ["start", "answer 1"])
    }

    /// Older than TTL plus grace: answered stale, whatever kept the refresh from landing.
    @Test func aResultPastTheGraceIsAnsweredStale() {
        var scheduler = RefreshScheduler(policy: Self.policy, restored: (Self.result(), RefreshBackoff()))
        guard case .answer(let fresh, _)? = scheduler.request(now: Self.t0 + 330).last else { Issue.record("no answer"); return }
        #expect(!fresh.stale)
        guard case .answer(let stale, _)? = scheduler.request(now: Self.t0 + 331).last else { Issue.record("no answer"); return }
        #expect(stale.stale)
        guard case .answer(let again, _)? = scheduler.request(now: Self.t0 + 332).last else { Issue.record("no answer"); return }
        #expect(again === stale, "the stale copy is built once")
    }

    @Test func aStoreFailureIsNeverAnUpstreamOne() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.begin()
        let store = RefreshError(code: "TOKEN_STORE_ERROR", source: .store)
        _ = scheduler.land(.failure(store), now: Self.t0)
        #expect(scheduler.lastStoreError == store)
        #expect(scheduler.lastUpstreamError == nil)
        _ = scheduler.begin()
        _ = scheduler.land(.success(Self.result()), now: Self.t0 + 40)
        #expect(scheduler.lastStoreError == nil)
        // Writing the result failed: a store error again, still not an upstream one.
        _ = scheduler.persisted(failure: store)
        #expect(scheduler.lastStoreError == store)
        #expect(scheduler.lastUpstreamError == nil)
    }

    @Test func persistenceIsTrackedUntilTheWriteReports() {
        var scheduler = RefreshScheduler(policy: Self.policy)
        _ = scheduler.begin()
        _ = scheduler.land(.success(Self.result()), now: Self.t0)
        #expect(scheduler.isPersisting)
        #expect(Self.names(scheduler.persisted(failure: nil)) == ["wake"])
        #expect(!scheduler.isPersisting)
    }

    @Test func inlineRefreshIsDueWhenColdOrExpiredOnly() {
        let cold = RefreshScheduler(policy: Self.policy)
        #expect(cold.inlineRefreshDue(now: Self.t0, force: false))
        let warm = RefreshScheduler(policy: Self.policy, restored: (Self.result(), RefreshBackoff()))
        #expect(!warm.inlineRefreshDue(now: Self.t0 + 10, force: false))
        #expect(warm.inlineRefreshDue(now: Self.t0 + 300, force: false))
        #expect(warm.inlineRefreshDue(now: Self.t0 + 10, force: true))
    }
}
