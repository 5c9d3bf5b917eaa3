import Testing
import TraktWidgetCore
@testable import RefreshEngine
import TokenStorage
import UpstreamClients

/// How a failed refresh reaches the scheduler: a store failure stays a store failure.
@Suite struct RefreshFailureTests {
    @Test func aStoreFailureIsNeverAnUpstreamOne() {
        let failure = RefreshFailure(StoreError("rotate tokens", cause: PostgresLikeError()))
        #expect(failure.code == "TOKEN_STORE_ERROR")
        #expect(failure.upstream == nil)
        #expect(failure.refreshError == RefreshError(code: "TOKEN_STORE_ERROR", source: .store))
        #expect(failure.diagnosis == "The token store failed: rotate tokens: database unavailable.")
    }

    @Test func upstreamFailuresKeepTheirCodeAndRetryAfter() {
        #expect(RefreshFailure.upstream(.rateLimited(retryAfter: 120)).refreshError
            == RefreshError(code: "TRAKT_RATE_LIMITED", source: .upstream, retryAfter: 120))
        #expect(RefreshFailure.upstream(.reauthRequired).refreshError
            == RefreshError(code: "REAUTH_REQUIRED", source: .reauthRequired))
    }

    private struct PostgresLikeError: Error, CustomStringConvertible {
        var description: String { "database unavailable" }
    }
}
