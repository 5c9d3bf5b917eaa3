/// Routes a request and turns the engine's answer into a response. It has no idea of FastCGI.
public struct RequestHandler: Sendable {
    public static let lastPath = "/api/trakt/last"
    public static let healthPath = "/api/trakt/health"
    public static let watchLastPath = "/api/watch/last"
    public static let watchHealthPath = "/api/watch/health"
    /// Longer URIs are refused before anything else looks at them.
    public static let maximumURILength = 2048
    /// Clients may serve a stale copy this long when we fail (`stale-if-error`).
    public static let staleIfError = 86_400

    private let source: any LastWatchedSource
    private let provider: ProviderKind
    /// Everything after `max-age=N`, fixed for the process: built once, not per request.
    private let cacheControlTail: String

    public init(source: any LastWatchedSource, ttl: Int, provider: ProviderKind = .trakt) {
        self.source = source
        self.provider = provider
        self.cacheControlTail = ", stale-while-revalidate=\(ttl), stale-if-error=\(Self.staleIfError)"
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let response = route(request)
        return request.method == "HEAD" ? withoutBody(response) : response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        let uriLength = request.path.count + (request.query.isEmpty ? 0 : 1 + request.query.utf8.count)
        if uriLength > Self.maximumURILength {
            return HTTPResponse(error: .uriTooLong)
        }
        guard let path = String(validating: request.path, as: UTF8.self) else {
            return HTTPResponse(error: .badRequest)
        }
        let readOnly = request.method == "GET" || request.method == "HEAD"
        switch path {
        case Self.lastPath where provider != .trakt:
            return HTTPResponse(error: .traktPathUnused(provider: provider))
        case Self.lastPath:
            return readOnly ? last(request, watchRoute: false) : HTTPResponse(error: .methodNotAllowed)
        case Self.watchLastPath:
            return readOnly ? last(request, watchRoute: true) : HTTPResponse(error: .methodNotAllowed)
        case Self.healthPath, Self.watchHealthPath:
            return readOnly ? health() : HTTPResponse(error: .methodNotAllowed)
        default:
            return HTTPResponse(error: .notFound)
        }
    }

    private func last(_ request: HTTPRequest, watchRoute: Bool) -> HTTPResponse {
        switch source.lastWatched() {
        case .failure(let error):
            return HTTPResponse(error: error)
        case .result(let cached, let maxAge):
            let (body, etag) = watchRoute ? (cached.watchBody, cached.watchETag) : (cached.body, cached.etag)
            let headers = [
                HTTPResponse.contentType,
                ("ETag", etag),
                ("Cache-Control", "public, max-age=" + String(maxAge) + cacheControlTail),
            ]
            if EntityTag.ifNoneMatch(request.headers["if-none-match"], matches: etag) {
                return HTTPResponse(status: 304, headers: Array(headers.dropFirst()), body: [])
            }
            return HTTPResponse(status: 200, headers: headers, body: body)
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

    /// HEAD gets the same headers as GET, with the body's length (except on a 304) but no body.
    private func withoutBody(_ response: HTTPResponse) -> HTTPResponse {
        var head = response
        if response.status != 304 {
            head.headers.append(("Content-Length", String(response.body.count)))
        }
        head.body = []
        return head
    }
}
