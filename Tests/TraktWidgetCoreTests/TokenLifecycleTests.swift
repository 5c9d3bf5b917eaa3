import Testing
import TraktWidgetCore

@Suite struct TokenLifecycleTests {
    static let week = 7 * 86_400.0
    static let t0 = 1_700_000_000.0

    static func pair(access: String? = "access-1", refresh: String = "refresh-1", lifetime: Double? = week, generation: Int = 1, rotatedAt: Double = t0) -> TokenPair {
        TokenPair(
            accessToken: access, refreshToken: refresh, expiresAt: lifetime.map { rotatedAt + $0 },
            rotatedAt: rotatedAt, generation: generation
        )
    }

    @Test func validUntilHalfTheLifetime() {
        let lifecycle = TokenLifecycle(pair: Self.pair())
        #expect(TokenLifecycle.refreshDueAt(Self.pair()) == Self.t0 + Self.week / 2)
        #expect(lifecycle.phase(now: Self.t0) == .valid)
        #expect(lifecycle.action(now: Self.t0) == .use(accessToken: "access-1"))
        #expect(lifecycle.phase(now: Self.t0 + Self.week / 2 - 1) == .valid)
        #expect(lifecycle.phase(now: Self.t0 + Self.week / 2) == .refreshDue)
        #expect(lifecycle.action(now: Self.t0 + Self.week / 2) == .refresh(refreshToken: "refresh-1"))
        #expect(lifecycle.phase(now: Self.t0 + Self.week * 2) == .refreshDue)
    }

    /// Trakt chooses `expires_in` (3 months, 24 h and 7 days so far): every lifetime from 2 s to a year
    /// gives a pair that is used at once and is due at half its lifetime, never earlier.
    @Test(arguments: [2.0, 3, 10, 59, 299, 300, 301, 600, 3_600, 86_400, 604_800, 7_776_000, 31_622_400] as [Double])
    func anyLifetimeIsUsedAtOnceAndDueAtHalf(lifetime: Double) {
        let pair = Self.pair(lifetime: lifetime)
        let lifecycle = TokenLifecycle(pair: pair)
        #expect(TokenLifecycle.refreshDueAt(pair)! >= Self.t0 + lifetime / 2)
        #expect(lifecycle.action(now: Self.t0) == .use(accessToken: "access-1"))
        #expect(lifecycle.phase(now: Self.t0 + lifetime / 2 - 0.001) == .valid)
        #expect(lifecycle.phase(now: Self.t0 + lifetime / 2) == .refreshDue)
    }

    /// One rotation per due window: once rotated, the pair is not due again until half its lifetime has
    /// passed, however often it is asked.
    @Test(arguments: [2.0, 3, 600, 604_800] as [Double])
    func oneRotationPerDueWindow(lifetime: Double) {
        var lifecycle = TokenLifecycle(pair: Self.pair(lifetime: lifetime))
        var rotations = 0
        let step = lifetime / 200
        var now = Self.t0
        while now < Self.t0 + lifetime * 5 {
            if case .refresh = lifecycle.action(now: now) {
                rotations += 1
                lifecycle.beginRefresh()
                lifecycle.rotated(Self.pair(access: "a\(rotations)", refresh: "r\(rotations)", lifetime: lifetime,
                                            generation: rotations + 1, rotatedAt: now))
            }
            now += step
        }
        // Five lifetimes at one rotation per half lifetime.
        #expect(rotations >= 9 && rotations <= 10)
    }

    @Test func aLifetimeOfZeroIsDueAtOnce() {
        #expect(TokenLifecycle(pair: Self.pair(lifetime: 0)).phase(now: Self.t0) == .refreshDue)
    }

    @Test func aRotatedPairIsUsedBeforeItIsPersisted() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.beginRefresh()
        let next = Self.pair(access: "access-2", refresh: "refresh-2", lifetime: 3, generation: 2, rotatedAt: Self.t0 + 10)
        lifecycle.rotated(next)
        #expect(!lifecycle.persisted)
        #expect(lifecycle.action(now: Self.t0 + 10) == .use(accessToken: "access-2"))
        // A store still holding the spent pair cannot take it back.
        lifecycle.adopt(Self.pair())
        #expect(lifecycle.pair == next)
        lifecycle.persisted(generation: 1)
        #expect(!lifecycle.persisted)
        lifecycle.persisted(generation: 2)
        #expect(lifecycle.persisted)
    }

    @Test func withoutTheSharedStoreRotationIsTheLastResort() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        let due = Self.t0 + Self.week / 2
        #expect(lifecycle.action(now: due) == .refresh(refreshToken: "refresh-1"))
        lifecycle.beginRefresh()
        #expect(lifecycle.isolatedAccessToken(now: due) == "access-1")
        let lastHour = Self.t0 + Self.week - TokenLifecycle.isolatedRotationFloor
        #expect(lifecycle.isolatedAccessToken(now: lastHour) == nil)
        #expect(TokenLifecycle(pair: Self.pair(lifetime: 4)).isolatedAccessToken(now: Self.t0 + 2) == nil)
        var rejected = lifecycle
        rejected.accessTokenRejected()
        #expect(rejected.isolatedAccessToken(now: Self.t0) == nil)
    }

    @Test func unknownExpiryIsNeverDue() {
        let pair = Self.pair(lifetime: nil)
        #expect(TokenLifecycle.refreshDueAt(pair) == nil)
        #expect(TokenLifecycle(pair: pair).phase(now: Self.t0 + 10 * Self.week) == .valid)
    }

    @Test func noAccessTokenMeansRefreshDue() {
        let lifecycle = TokenLifecycle(pair: Self.pair(access: nil))
        #expect(lifecycle.phase(now: Self.t0) == .refreshDue)
        #expect(lifecycle.action(now: Self.t0) == .refresh(refreshToken: "refresh-1"))
    }

    @Test func refreshingKeepsUsingTheCurrentAccessToken() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.beginRefresh()
        #expect(lifecycle.refreshing)
        #expect(lifecycle.phase(now: Self.t0 + Self.week) == .refreshing)
        #expect(lifecycle.action(now: Self.t0) == .use(accessToken: "access-1"))
    }

    @Test func refreshingWithoutAccessTokenStillRefreshes() {
        var lifecycle = TokenLifecycle(pair: Self.pair(access: nil))
        lifecycle.beginRefresh()
        #expect(lifecycle.action(now: Self.t0) == .refresh(refreshToken: "refresh-1"))
    }

    @Test func adoptsANewerGeneration() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.beginRefresh()
        let newer = Self.pair(access: "access-2", refresh: "refresh-2", generation: 2, rotatedAt: Self.t0 + 100)
        lifecycle.adopt(newer)
        #expect(lifecycle.pair == newer)
        #expect(!lifecycle.refreshing)
        #expect(lifecycle.phase(now: Self.t0 + 100) == .valid)
        #expect(lifecycle.action(now: Self.t0 + 100) == .use(accessToken: "access-2"))
    }

    @Test func ignoresAnOlderGeneration() {
        let current = Self.pair(access: "access-5", refresh: "refresh-5", generation: 5)
        var lifecycle = TokenLifecycle(pair: current)
        lifecycle.adopt(Self.pair(access: "access-4", refresh: "refresh-4", generation: 4))
        #expect(lifecycle.pair == current)
    }

    @Test func adoptsIntoAnEmptyLifecycle() {
        var lifecycle = TokenLifecycle()
        lifecycle.adopt(Self.pair(generation: 3))
        #expect(lifecycle.pair?.generation == 3)
        #expect(lifecycle.phase(now: Self.t0) == .valid)
    }

    @Test func rejectedRefreshTokenRequiresReauth() {
        var lifecycle = TokenLifecycle(pair: Self.pair(access: nil))
        lifecycle.beginRefresh()
        lifecycle.refreshRejected()
        #expect(!lifecycle.refreshing)
        #expect(lifecycle.rejectedRefreshToken == "refresh-1")
        #expect(lifecycle.phase(now: Self.t0) == .reauthRequired)
        #expect(lifecycle.action(now: Self.t0) == .reauthRequired)
        // The rejection wins over an access token that still looks valid.
        var withAccess = TokenLifecycle(pair: Self.pair())
        withAccess.refreshRejected()
        #expect(withAccess.action(now: Self.t0) == .reauthRequired)
    }

    @Test func aNewPairAfterRejectionRecovers() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.refreshRejected()
        lifecycle.adopt(Self.pair(access: "access-new", refresh: "refresh-new", generation: 2))
        #expect(lifecycle.phase(now: Self.t0) == .valid)
        #expect(lifecycle.action(now: Self.t0) == .use(accessToken: "access-new"))
    }

    @Test func theSameRefreshTokenAfterRejectionStaysRejected() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.refreshRejected()
        lifecycle.adopt(Self.pair(access: "access-x", refresh: "refresh-1", generation: 2))
        #expect(lifecycle.phase(now: Self.t0) == .reauthRequired)
    }

    @Test func rejectionKnownAtStart() {
        let lifecycle = TokenLifecycle(pair: Self.pair(), rejectedRefreshToken: "refresh-1")
        #expect(lifecycle.phase(now: Self.t0) == .reauthRequired)
        #expect(TokenLifecycle(pair: nil, rejectedRefreshToken: "refresh-1").phase(now: Self.t0) == .reauthRequired)
    }

    @Test func accessTokenRejectedForcesARefresh() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.accessTokenRejected()
        #expect(lifecycle.accessRejected)
        #expect(lifecycle.phase(now: Self.t0) == .refreshDue)
        #expect(lifecycle.action(now: Self.t0) == .refresh(refreshToken: "refresh-1"))
        lifecycle.adopt(Self.pair(access: "access-2", refresh: "refresh-2", generation: 2))
        #expect(!lifecycle.accessRejected)
        #expect(lifecycle.phase(now: Self.t0) == .valid)
    }

    @Test func transientFailureEndsRefreshing() {
        var lifecycle = TokenLifecycle(pair: Self.pair(access: nil))
        lifecycle.beginRefresh()
        lifecycle.refreshFailedTransiently()
        #expect(!lifecycle.refreshing)
        #expect(lifecycle.phase(now: Self.t0) == .refreshDue)
        #expect(lifecycle.rejectedRefreshToken == nil)
    }

    @Test func nilPairIsMissing() {
        let lifecycle = TokenLifecycle()
        #expect(lifecycle.phase(now: Self.t0) == .missing)
        #expect(lifecycle.action(now: Self.t0) == .reauthRequired)
    }

    @Test func clearForgetsThePair() {
        var lifecycle = TokenLifecycle(pair: Self.pair())
        lifecycle.beginRefresh()
        lifecycle.accessTokenRejected()
        lifecycle.clear()
        #expect(lifecycle.pair == nil)
        #expect(!lifecycle.refreshing)
        #expect(lifecycle.phase(now: Self.t0) == .missing)
    }

    @Test func phaseRawValues() {
        #expect(TokenPhase.notUsed.rawValue == "not_used")
        #expect(TokenPhase.refreshDue.rawValue == "refresh_due")
        #expect(TokenPhase.reauthRequired.rawValue == "reauth_required")
    }
}
