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
    public func cgiHead() -> String {
        var head = "Status: \(status) \(Self.reason(for: status))\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if status != 304 && header("Content-Length") == nil {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return head
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
