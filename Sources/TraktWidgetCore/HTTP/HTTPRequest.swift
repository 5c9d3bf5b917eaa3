/// A transport-neutral request: what the handler needs, whether it came over FastCGI, CGI or a test.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The raw path bytes, without the query string. Kept as bytes because the path may not be UTF-8.
    public var path: [UInt8]
    public var query: String
    /// Request headers the handler reads, keyed by lowercase name (e.g. `if-none-match`).
    public var headers: [String: String]

    public init(method: String, path: [UInt8], query: String = "", headers: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:]) {
        self.init(method: method, path: Array(path.utf8), query: query, headers: headers)
    }

    /// Splits a `REQUEST_URI` into path and query.
    public init(method: String, requestURI: [UInt8], headers: [String: String] = [:]) {
        if let mark = requestURI.firstIndex(of: UInt8(ascii: "?")) {
            let query = String(decoding: requestURI[(mark + 1)...], as: UTF8.self)
            self.init(method: method, path: Array(requestURI[..<mark]), query: query, headers: headers)
        } else {
            self.init(method: method, path: requestURI, query: "", headers: headers)
        }
    }
}
