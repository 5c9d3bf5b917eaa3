/// One outgoing HTTP request to Trakt or TMDB.
public struct UpstreamRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Replaces the client's total timeout for this request (the OAuth refresh gets a longer one).
    public var timeout: Double?

    public init(method: Method = .get, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Double? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
