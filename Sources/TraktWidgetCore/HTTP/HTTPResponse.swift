/// A transport-neutral response. The body is shared, not copied: the hot path hands out the cached bytes.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static let contentType = ("Content-Type", "application/json; charset=utf-8")
    public static let svgContentType = ("Content-Type", "image/svg+xml; charset=utf-8")

    public init(error: APIError) {
        var headers = [Self.contentType]
        headers.append(contentsOf: error.headers)
        if !headers.contains(where: { $0.0 == "Cache-Control" }) {
            headers.append(("Cache-Control", "no-store"))
        }
        self.init(status: error.status, headers: headers, body: error.body)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The CGI/FastCGI response head: a `Status:` line (never an `HTTP/1.1` status line), headers, blank
    /// line. `Content-Length` is added unless already set (HEAD sets the GET body's) or the status is 304.
    /// Built as bytes in one buffer: it runs on every request.
    public func cgiHead() -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(256)
        head.append(contentsOf: "Status: \(status) \(Self.reason(for: status))\r\n".utf8)
        var hasLength = false
        for (name, value) in headers {
            hasLength = hasLength || Self.isContentLength(name)
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: [13, 10])
        }
        if status != 304 && !hasLength {
            head.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        head.append(contentsOf: [13, 10])
        return head
    }

    private static func isContentLength(_ name: String) -> Bool {
        name.utf8.count == 14 && name.lowercased() == "content-length"
    }

    public static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 414: "URI Too Long"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
