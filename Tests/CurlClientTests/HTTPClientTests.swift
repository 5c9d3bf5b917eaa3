import FoundationEssentials
import Testing
import TraktWidgetCore
@testable import CurlClient
import UpstreamClients
import TestSupport

@Suite(.serialized) struct HTTPClientTests {
    static let shared = SharedFake()

    @Test func sendsUserAgentAndTraktHeaders() throws {
        let fake = try Self.shared.fresh()
        let api = TraktAPI(settings: fake.traktSettings())
        let result = try fake.client().send(api.historyRequest(limit: 1, accessToken: nil))
        #expect(try result.get().status == 200)

        let logged = try #require(try fake.requests(path: "/users/test-user/history").last)
        #expect(logged.method == "GET")
        #expect(logged.query == "limit=1")
        #expect(logged.headers["user-agent"] == FakeUpstream.userAgent)
        #expect(logged.headers["trakt-api-version"] == "2")
        #expect(logged.headers["trakt-api-key"] == FakeUpstream.clientID)
        #expect(logged.headers["content-type"] == "application/json")
        #expect(logged.headers["authorization"] == nil)
    }

    @Test func sendsTheBearerToken() throws {
        let fake = try Self.shared.fresh()
        let token = try fake.tokens().access_token
        let api = TraktAPI(settings: fake.traktSettings(publicUser: nil))
        let response = try fake.client().send(api.historyRequest(limit: 2, accessToken: token)).get()
        #expect(response.status == 200)
        let logged = try #require(try fake.requests(path: "/sync/history").last)
        #expect(logged.headers["authorization"] == "Bearer \(token)")
    }

    @Test func concurrentSendReturnsBothInTheOrderGiven() throws {
        let fake = try Self.shared.fresh()
        // Hold the history answer back so the watching transfer finishes first.
        try fake.addFault(["kind": "latency", "ms": 300, "prefix": "/users/test-user/history"])
        let api = TraktAPI(settings: fake.traktSettings())
        let results = try fake.client().send([
            api.historyRequest(limit: 1, accessToken: nil), api.watchingRequest(accessToken: nil),
        ])
        #expect(results.count == 2)
        let history = try TraktAPI.parseHistory(results[0]).get()
        #expect(history.first?.movie?.title == "The Dark Knight")
        #expect(try results[1].get().status == 204)
        #expect(try fake.requests().count == 2)
    }

    /// The multi handle runs transfers side by side: with each answer held back 300 ms, two calls in one
    /// batch take one delay, not two.
    @Test func twoDelayedCallsOverlap() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "latency", "ms": 300, "prefix": "/users/test-user/history"])
        let api = TraktAPI(settings: fake.traktSettings())
        let client = try fake.client()
        let clock = ContinuousClock()
        var results: [Result<UpstreamResponse, TransportError>] = []
        let elapsed = clock.measure {
            results = client.send([api.historyRequest(limit: 1, accessToken: nil), api.historyRequest(limit: 2, accessToken: nil)])
        }
        #expect(results.allSatisfy { (try? $0.get().status) == 200 })
        #expect(elapsed >= .milliseconds(300), "the latency fault did not apply")
        #expect(elapsed < .milliseconds(500), "the two calls ran one after the other: \(elapsed)")
    }

    @Test func repeatedBatchesReuseTheClient() throws {
        let fake = try Self.shared.fresh()
        let client = try fake.client()
        let api = TraktAPI(settings: fake.traktSettings())
        for _ in 0..<3 {
            let results = client.send([api.historyRequest(limit: 1, accessToken: nil), api.historyRequest(limit: 2, accessToken: nil)])
            #expect(results.allSatisfy { (try? $0.get().status) == 200 })
        }
        // A smaller batch after a larger one.
        #expect(try client.send(api.historyRequest(limit: 1, accessToken: nil)).get().status == 200)
        #expect(try fake.requests().count == 7)
    }

    @Test func responseHeadersAreKeyedLowercase() throws {
        let fake = try Self.shared.fresh()
        let api = TraktAPI(settings: fake.traktSettings())
        let response = try fake.client().send(api.historyRequest(limit: 1, accessToken: nil)).get()
        #expect(response.headers["x-pagination-item-count"] == "28")
        #expect(response.headers["x-pagination-limit"] == "1")
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(!response.isHTML)
    }

    @Test func emptyBatch() throws {
        let fake = try Self.shared.fresh()
        #expect(try fake.client().send([]).isEmpty)
    }

    @Test func refusedConnection() throws {
        let client = try HTTPClient(userAgent: FakeUpstream.userAgent, timeouts: Timeouts(connect: 2, total: 4))
        let result = client.send(UpstreamRequest(url: "http://127.0.0.1:1/sync/history/movies"))
        guard case .failure(.couldNotConnect) = result else {
            Issue.record("expected couldNotConnect, got \(result)")
            return
        }
    }

    @Test func timeoutMapsToTimedOutAndTheClientRecovers() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "hang", "seconds": 10, "count": 1, "prefix": "/users"])
        let client = try fake.client(Timeouts(connect: 2, total: 0.3))
        let api = TraktAPI(settings: fake.traktSettings())
        let result = client.send(api.historyRequest(limit: 1, accessToken: nil))
        #expect(result.failureValue == .timedOut)
        #expect(TraktAPI.parseHistory(result).failureValue == .transport(.timedOut))
        #expect(UpstreamFailure.transport(.timedOut).code == "TRAKT_TIMEOUT")
        // The same handle works for the next transfer.
        #expect(try client.send(api.historyRequest(limit: 1, accessToken: nil)).get().status == 200)
    }

    @Test func droppedConnectionIsATransportFailure() throws {
        let fake = try Self.shared.fresh()
        try fake.addFault(["kind": "drop", "count": 1, "prefix": "/users"])
        let api = TraktAPI(settings: fake.traktSettings())
        let result = try fake.client().send(api.historyRequest(limit: 1, accessToken: nil))
        guard case .failure(let error) = result else {
            Issue.record("expected a transport failure, got \(result)")
            return
        }
        #expect(error != .timedOut)
        #expect(!error.description.contains("127.0.0.1"), "no URL in the description")
    }

    @Test func oversizedBodyIsRefused() throws {
        let fake = try Self.shared.fresh()
        let huge = String(repeating: "x", count: CurlEasy.maximumBodyBytes + 1)
        try fake.addFault(["kind": "status", "status": 200, "body": huge, "count": 1, "prefix": "/users"])
        let client = try fake.client()
        let api = TraktAPI(settings: fake.traktSettings())
        let result = client.send(api.historyRequest(limit: 1, accessToken: nil))
        guard case .failure = result else {
            Issue.record("a body over the cap was accepted")
            return
        }
        #expect(try client.send(api.historyRequest(limit: 1, accessToken: nil)).get().body.count < 10_000)
    }

    @Test func postSendsTheBody() throws {
        let fake = try Self.shared.fresh()
        let body = Array(#"{"k":"v"}"#.utf8)
        let response = try fake.client().send(UpstreamRequest(
            method: .post, url: fake.baseURL + "/oauth/revoke", headers: [("Content-Type", "application/json")], body: body
        )).get()
        #expect(response.status == 400)  // the fake wants a token field; what matters is what arrived
        let logged = try #require(try fake.requests(path: "/oauth/revoke").last)
        #expect(logged.method == "POST")
        #expect(logged.body == #"{"k":"v"}"#)
        #expect(logged.headers["user-agent"] == FakeUpstream.userAgent)
    }

    @Test func postWithoutABodySendsAnEmptyOne() throws {
        let fake = try Self.shared.fresh()
        let request = UpstreamRequest(method: .post, url: fake.baseURL + "/oauth/revoke")
        let response = try fake.client(Timeouts(connect: 2, total: 5)).send(request).get()
        #expect(response.status == 400)
        let logged = try #require(try fake.requests(path: "/oauth/revoke").last)
        #expect(logged.body == nil)
        #expect(logged.headers["content-length"] == "0")
    }
}
