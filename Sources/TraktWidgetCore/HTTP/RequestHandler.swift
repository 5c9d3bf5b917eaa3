/// Routes a request and turns the engine's answer into a response. It has no idea of FastCGI.
public struct RequestHandler: Sendable {
    public static let lastPath = "/api/trakt/last"
    public static let healthPath = "/api/trakt/health"
    /// Longer URIs are refused before anything else looks at them.
    public static let maximumURILength = 2048
    /// Clients may serve a stale copy this long when we fail (`stale-if-error`).
    public static let staleIfError = 86_400

    private let source: any LastWatchedSource
    private let ttl: Int

    public init(source: any LastWatchedSource, ttl: Int) {
        self.source = source
        self.ttl = ttl
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path.count + request.query.utf8.count > Self.maximumURILength {
            return HTTPResponse(error: .uriTooLong)
        }
        guard let path = String(validating: request.path, as: UTF8.self) else {
            return HTTPResponse(error: .badRequest)
        }
        switch path {
        case Self.lastPath:
            guard let isHead = Self.readOnly(request.method) else { return HTTPResponse(error: .methodNotAllowed) }
            return withoutBody(last(request), if: isHead)
        case Self.healthPath:
            guard let isHead = Self.readOnly(request.method) else { return HTTPResponse(error: .methodNotAllowed) }
            return withoutBody(health(), if: isHead)
        default:
            return HTTPResponse(error: .notFound)
        }
    }

    /// nil for a method other than GET or HEAD, else whether it is HEAD.
    private static func readOnly(_ method: String) -> Bool? {
        switch method {
        case "GET": false
        case "HEAD": true
        default: nil
        }
    }

    private func last(_ request: HTTPRequest) -> HTTPResponse {
        switch source.lastWatched() {
        case .failure(let error):
            return HTTPResponse(error: error)
        case .result(let cached, let maxAge):
            let headers = [
                HTTPResponse.contentType,
                ("ETag", cached.etag),
                ("Cache-Control", "public, max-age=\(maxAge), stale-while-revalidate=\(ttl), stale-if-error=\(Self.staleIfError)"),
            ]
            if EntityTag.ifNoneMatch(request.headers["if-none-match"], matches: cached.etag) {
                return HTTPResponse(status: 304, headers: Array(headers.dropFirst()), body: [])
            }
            return HTTPResponse(status: 200, headers: headers, body: cached.body)
        }
    }

    private func health() -> HTTPResponse {
        let report = source.health()
        return HTTPResponse(
            status: report.status,
            headers: [HTTPResponse.contentType, ("Cache-Control", "no-store")],
            body: report.body
        )
    }

    /// HEAD gets the same headers as GET, with the body's length but no body.
    private func withoutBody(_ response: HTTPResponse, if isHead: Bool) -> HTTPResponse {
        guard isHead else { return response }
        var head = response
        head.headers.append(("Content-Length", String(response.body.count)))
        head.body = []
        return head
    }
}
