import Testing
import TraktWidgetCore

@Suite struct HTTPResponseTests {
    @Test func cgiHeadStartsWithStatusLineNeverHTTP() {
        let response = HTTPResponse(status: 200, headers: [HTTPResponse.contentType, ("ETag", "\"abc\"")], body: Array("{}".utf8))
        let head = response.headText
        #expect(head.hasPrefix("Status: 200 OK\r\n"))
        #expect(!head.contains("HTTP/1.1"))
        #expect(!head.contains("HTTP/"))
        #expect(head == "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nETag: \"abc\"\r\nContent-Length: 2\r\n\r\n")
    }

    @Test(arguments: [
        (304, "Not Modified"), (400, "Bad Request"), (404, "Not Found"), (405, "Method Not Allowed"),
        (414, "URI Too Long"), (503, "Service Unavailable"),
    ])
    func reasonPhrases(_ status: Int, _ reason: String) {
        let head = HTTPResponse(status: status, headers: [], body: []).headText
        #expect(head.hasPrefix("Status: \(status) \(reason)\r\n"))
    }

    @Test func notModifiedHasNoContentLength() {
        let head = HTTPResponse(status: 304, headers: [("ETag", "\"a\"")], body: []).headText
        #expect(head == "Status: 304 Not Modified\r\nETag: \"a\"\r\n\r\n")
    }

    @Test func explicitContentLengthIsNotDuplicated() {
        let head = HTTPResponse(status: 200, headers: [("Content-Length", "99")], body: []).headText
        #expect(head == "Status: 200 OK\r\nContent-Length: 99\r\n\r\n")
    }

    @Test func errorResponsesHaveAStatusLine() {
        let head = HTTPResponse(error: .methodNotAllowed).headText
        #expect(head.hasPrefix("Status: 405 Method Not Allowed\r\n"))
        #expect(head.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(head.hasSuffix("\r\n\r\n"))
    }

    @Test func headerLookupIsCaseInsensitive() {
        let response = HTTPResponse(status: 200, headers: [("ETag", "x")], body: [])
        #expect(response.header("etag") == "x")
        #expect(response.header("ETAG") == "x")
        #expect(response.header("Age") == nil)
    }
}

extension HTTPResponse {
    /// The response head as text, for assertions.
    var headText: String { String(decoding: cgiHead(), as: UTF8.self) }
}
