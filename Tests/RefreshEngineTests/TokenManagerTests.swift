import Foundation
import Testing
import TraktWidgetCore
@testable import RefreshEngine
import CurlClient
import FileStore
import SystemCalls
import TestSupport
import TokenStorage
import UpstreamClients

/// The token manager against the fake's OAuth host, where refresh tokens are single-use like Trakt's.
@Suite(.serialized) struct TokenManagerTests {
    static let shared = SharedFake()

    static func manager(_ fake: FakeUpstream, _ directory: TemporaryDirectory) throws -> TokenManager {
        let oauth = OAuthClient(settings: fake.traktSettings(publicUser: nil), http: try fake.client())
        return TokenManager(store: try FileTokenStore(directory: directory.path), oauth: oauth, clock: .system)
    }

    static func tokenRequests(_ fake: FakeUpstream) throws -> Int {
        try fake.requests(path: "/oauth/token").count
    }

    @Test func bootstrapsFromTheEnvironmentAndRefreshesWhenNoAccessToken() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        let manager = try Self.manager(fake, directory)
        try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: nil)
        #expect(manager.phase == .refreshDue)

        let token = try manager.accessToken().get()
        let rotated = try fake.tokens()
        #expect(token == rotated.access_token)
        #expect(rotated.issued == 1)
        #expect(manager.phase == .valid)
        let stored = try FileTokenStore(directory: directory.path).loadTokens()
        #expect(stored.pair?.refreshToken == rotated.refresh_token)
        #expect(stored.pair?.generation == 2)

        // Valid now: no further refresh.
        #expect(try manager.accessToken().get() == token)
        #expect(try fake.tokens().issued == 1)
    }

    /// Trakt's answer is the only copy once the old token is spent: it is used while every write fails,
    /// and the write is retried until it lands.
    @Test func aRotatedPairIsUsedFromMemoryUntilAWriteLands() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        let store = RefusingStore(try FileTokenStore(directory: directory.path))
        let oauth = OAuthClient(settings: fake.traktSettings(publicUser: nil), http: try fake.client())
        let manager = TokenManager(store: store, oauth: oauth, clock: .system)
        try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: nil)
        store.refusing.store(true, ordering: .relaxed)

        let token = try manager.accessToken().get()
        let rotated = try fake.tokens()
        #expect(token == rotated.access_token)
        #expect(!manager.persisted)
        #expect(try store.loadTokens().pair?.refreshToken == initial.refresh_token)
        // Used from memory: no second refresh, nothing spent twice.
        #expect(try manager.accessToken().get() == token)
        #expect(rotated.issued == 1)

        store.refusing.store(false, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(PersistenceRetry.interval * 3)
        while !manager.persisted && Date() < deadline { usleep(50_000) }
        #expect(manager.persisted)
        #expect(try store.loadTokens().pair?.refreshToken == rotated.refresh_token)
    }

    @Test func theEnvironmentTokenIsNeverUsedOnceAStoreHeldOne() throws {
        let fake = try Self.shared.fresh()
        let directory = TemporaryDirectory()
        let first = try Self.manager(fake, directory)
        try first.bootstrap(environmentRefreshToken: "env-token-1", environmentAccessToken: "env-access-1")
        let second = try Self.manager(fake, directory)
        try second.bootstrap(environmentRefreshToken: "env-token-2", environmentAccessToken: "env-access-2")
        #expect(second.pair?.refreshToken == "env-token-1")
        #expect(second.pair?.generation == 1)
    }

    @Test func anEnvironmentAccessTokenIsUsedWithoutRefreshing() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        let manager = try Self.manager(fake, directory)
        try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: initial.access_token)
        #expect(try manager.accessToken().get() == initial.access_token)
        #expect(try Self.tokenRequests(fake) == 0)
    }

    /// Four "processes" (managers with their own store instance on one state directory), two threads
    /// each, all needing a token at once: Trakt sees exactly one refresh, and everyone gets its result.
    @Test func concurrentCallersAcrossProcessesRefreshExactlyOnce() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        var managers: [TokenManager] = []
        for _ in 0..<4 {
            let manager = try Self.manager(fake, directory)
            try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: nil)
            managers.append(manager)
        }
        let frozen = managers
        let results = Locked<[Result<String, RefreshFailure>]>([])
        runConcurrently(8) { index in
            let result = frozen[index % 4].accessToken()
            results.withLock { $0.append(result) }
        }
        let final = try fake.tokens()
        #expect(final.issued == 1)
        #expect(final.used_refresh_tokens == [initial.refresh_token])
        let tokens = results.value.map { try? $0.get() }
        #expect(tokens.count == 8)
        #expect(tokens.allSatisfy { $0 == final.access_token }, "\(results.value)")
    }

    @Test func aRejectedRefreshTokenRequiresReauthUntilANewPairIsStored() throws {
        let fake = try Self.shared.fresh()
        let directory = TemporaryDirectory()
        let manager = try Self.manager(fake, directory)
        try manager.bootstrap(environmentRefreshToken: "dead-refresh-token", environmentAccessToken: nil)

        #expect(manager.accessToken().failureValue == .upstream(.reauthRequired))
        #expect(manager.phase == .reauthRequired)
        #expect(try FileTokenStore(directory: directory.path).loadTokens().rejected)
        // The dead token is never sent again.
        #expect(manager.accessToken().failureValue == .upstream(.reauthRequired))
        #expect(try Self.tokenRequests(fake) == 1)

        // `trakt-widget auth` stores a fresh pair; the running manager picks it up without a restart.
        let fresh = try fake.tokens()
        let now = Date().timeIntervalSince1970
        try FileTokenStore(directory: directory.path).saveTokens(TokenPair(
            accessToken: fresh.access_token, refreshToken: fresh.refresh_token, expiresAt: now + 604_800,
            rotatedAt: now, generation: 1
        ))
        #expect(try manager.accessToken().get() == fresh.access_token)
        #expect(manager.phase == .valid)
        #expect(try Self.tokenRequests(fake) == 1)
    }

    @Test func aRejectedAccessTokenForcesARefresh() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        let manager = try Self.manager(fake, directory)
        try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: initial.access_token)
        #expect(try manager.accessToken().get() == initial.access_token)
        manager.accessTokenRejected()
        let renewed = try manager.accessToken().get()
        #expect(renewed != initial.access_token)
        #expect(renewed == (try fake.tokens().access_token))
    }

    @Test func aTransientRefreshFailureKeepsThePair() throws {
        let fake = try Self.shared.fresh()
        let initial = try fake.tokens()
        let directory = TemporaryDirectory()
        let manager = try Self.manager(fake, directory)
        try manager.bootstrap(environmentRefreshToken: initial.refresh_token, environmentAccessToken: nil)
        try fake.addFault(["kind": "status", "status": 503, "count": 1, "prefix": "/oauth/token"])

        #expect(manager.accessToken().failureValue == .upstream(.httpStatus(503)))
        #expect(manager.phase == .refreshDue)
        #expect(try FileTokenStore(directory: directory.path).loadTokens().rejected == false)
        // Trakt is back: the same refresh token still works.
        #expect(try manager.accessToken().get() == (try fake.tokens().access_token))
    }
}
