/// One HTTP response from Trakt or TMDB, fully buffered (bodies here are a few KB).
public struct UpstreamResponse: Sendable {
    public var status: Int
    /// Response headers by lowercase name; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    public var isHTML: Bool { headers["content-type"]?.lowercased().contains("text/html") ?? false }
}
