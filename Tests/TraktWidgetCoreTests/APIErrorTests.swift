import Testing
import TraktWidgetCore

@Suite struct APIErrorTests {
    static func text(_ error: APIError) -> String {
        String(decoding: error.body, as: UTF8.self)
    }

    @Test func upstreamUnavailable() {
        let error = APIError.upstreamUnavailable(retryAfter: 30)
        #expect(error.status == 503)
        #expect(error.code == .upstreamUnavailable)
        #expect(error.headers.elementsEqual([("Cache-Control", "no-store"), ("Retry-After", "30")], by: ==))
        #expect(Self.text(error)
            == #"{"ok":false,"code":"UPSTREAM_UNAVAILABLE","error":"Trakt is not answering right now and nothing is cached yet; try again shortly."}"#)
    }

    @Test func reauthRequired() {
        let error = APIError.reauthRequired(retryAfter: 300)
        #expect(error.status == 503)
        #expect(error.code == .reauthRequired)
        #expect(error.headers.elementsEqual([("Cache-Control", "no-store"), ("Retry-After", "300")], by: ==))
        #expect(Self.text(error)
            == #"{"ok":false,"code":"REAUTH_REQUIRED","error":"The Trakt authorization is no longer valid; the operator must run `trakt-widget auth`."}"#)
    }

    @Test(arguments: [0, -5, Int.min])
    func retryAfterIsAtLeastOneSecond(_ seconds: Int) {
        #expect(APIError.upstreamUnavailable(retryAfter: seconds).headers.last! == ("Retry-After", "1"))
        #expect(APIError.reauthRequired(retryAfter: seconds).headers.last! == ("Retry-After", "1"))
    }

    @Test func notFound() {
        #expect(APIError.notFound.status == 404)
        #expect(APIError.notFound.headers.isEmpty)
        #expect(Self.text(.notFound) == #"{"ok":false,"code":"NOT_FOUND","error":"No such endpoint."}"#)
    }

    @Test func methodNotAllowed() {
        #expect(APIError.methodNotAllowed.status == 405)
        #expect(APIError.methodNotAllowed.headers.elementsEqual([("Allow", "GET, HEAD")], by: ==))
        #expect(Self.text(.methodNotAllowed)
            == #"{"ok":false,"code":"METHOD_NOT_ALLOWED","error":"Only GET and HEAD are allowed here."}"#)
    }

    @Test func badRequest() {
        #expect(APIError.badRequest.status == 400)
        #expect(Self.text(.badRequest) == #"{"ok":false,"code":"BAD_REQUEST","error":"The request could not be understood."}"#)
    }

    @Test func uriTooLong() {
        #expect(APIError.uriTooLong.status == 414)
        #expect(Self.text(.uriTooLong) == #"{"ok":false,"code":"URI_TOO_LONG","error":"The request URI is too long."}"#)
    }

    @Test func stableCodes() {
        #expect(ErrorCode.upstreamUnavailable.rawValue == "UPSTREAM_UNAVAILABLE")
        #expect(ErrorCode.reauthRequired.rawValue == "REAUTH_REQUIRED")
        #expect(ErrorCode.notFound.rawValue == "NOT_FOUND")
        #expect(ErrorCode.methodNotAllowed.rawValue == "METHOD_NOT_ALLOWED")
        #expect(ErrorCode.badRequest.rawValue == "BAD_REQUEST")
        #expect(ErrorCode.uriTooLong.rawValue == "URI_TOO_LONG")
    }

    @Test func equalityIncludesHeaders() {
        #expect(APIError.upstreamUnavailable(retryAfter: 5) == .upstreamUnavailable(retryAfter: 5))
        #expect(APIError.upstreamUnavailable(retryAfter: 5) != .upstreamUnavailable(retryAfter: 6))
        #expect(APIError.upstreamUnavailable(retryAfter: 5) != .reauthRequired(retryAfter: 5))
    }

    @Test func responseAddsContentTypeAndNoStore() {
        let response = HTTPResponse(error: .notFound)
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("cache-control") == "no-store")
        #expect(response.body == APIError.notFound.body)
    }

    @Test func responseDoesNotDuplicateCacheControl() {
        let response = HTTPResponse(error: .upstreamUnavailable(retryAfter: 9))
        #expect(response.headers.filter { $0.0 == "Cache-Control" }.count == 1)
        #expect(response.header("Retry-After") == "9")
    }
}
