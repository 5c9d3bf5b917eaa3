/// Routes a request and turns the engine's answer into a response. It has no idea of FastCGI.
public struct RequestHandler: Sendable {
    public static let lastPath = "/api/trakt/last"
    public static let healthPath = "/api/trakt/health"
    public static let watchLastPath = "/api/watch/last"
    public static let watchHealthPath = "/api/watch/health"
    public static let cardPath = "/api/trakt/card.svg"
    public static let watchCardPath = "/api/watch/card.svg"
    public static let historyPath = "/api/watch/history"
    /// Empty and error cards: camo and browsers ask again soon, so the real card replaces them quickly.
    public static let messageMaxAge = 60
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
        case Self.lastPath where provider != .trakt, Self.cardPath where provider != .trakt:
            return HTTPResponse(error: .traktPathUnused(provider: provider))
        case Self.lastPath:
            return readOnly ? last(request, watchRoute: false) : HTTPResponse(error: .methodNotAllowed)
        case Self.watchLastPath:
            return readOnly ? last(request, watchRoute: true) : HTTPResponse(error: .methodNotAllowed)
        case Self.cardPath, Self.watchCardPath:
            return readOnly ? card(request) : HTTPResponse(error: .methodNotAllowed)
        case Self.historyPath:
            return readOnly ? history(request) : HTTPResponse(error: .methodNotAllowed)
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
            return conditional(body, etag: etag, cacheControl: "public, max-age=" + String(maxAge) + cacheControlTail,
                               contentType: HTTPResponse.contentType, request: request)
        }
    }

    /// Always an image, even when upstream failed: camo shows a 4xx/5xx, or anything but an image, as
    /// a broken picture and may cache that. Only bad parameters get JSON, since they are the author's
    /// mistake and should be visible while writing the README.
    private func card(_ request: HTTPRequest) -> HTTPResponse {
        let options: CardOptions
        switch CardOptions.parse(QueryString(request.query)) {
        case .success(let parsed): options = parsed
        case .failure(let error): return HTTPResponse(error: error)
        }
        switch source.watchViews() {
        case .failure:
            let body = RenderedBody(body: CardRenderer.render(.unavailable, options: options), freshness: .message)
            return cached(body, maxAge: 0, contentType: HTTPResponse.svgContentType, request: request)
        case .views(let views, let maxAge):
            return cached(views.card(options), maxAge: maxAge, contentType: HTTPResponse.svgContentType, request: request)
        }
    }

    private func history(_ request: HTTPRequest) -> HTTPResponse {
        let limit: Int
        switch QueryString(request.query).integer("limit", in: HistoryBody.limits, default: HistoryBody.defaultLimit) {
        case .success(let value): limit = value
        case .failure(let error): return HTTPResponse(error: error)
        }
        switch source.watchViews() {
        case .failure(let error):
            return HTTPResponse(error: error)
        case .views(let views, let maxAge):
            return cached(views.history(limit: limit), maxAge: maxAge, contentType: HTTPResponse.contentType, request: request)
        }
    }

    /// A pre-built body with a `Cache-Control` that is never missing (camo reads a missing one as a year).
    private func cached(_ rendered: RenderedBody, maxAge: Int, contentType: (String, String), request: HTTPRequest) -> HTTPResponse {
        let cacheControl = rendered.freshness == .message
            ? "public, max-age=\(Self.messageMaxAge)"
            : "public, max-age=" + String(maxAge) + cacheControlTail
        return conditional(rendered.body, etag: rendered.etag, cacheControl: cacheControl, contentType: contentType, request: request)
    }

    /// 200, or 304 without a body when `If-None-Match` names the strong ETag.
    private func conditional(
        _ body: [UInt8], etag: String, cacheControl: String, contentType: (String, String), request: HTTPRequest
    ) -> HTTPResponse {
        let headers = [contentType, ("ETag", etag), ("Cache-Control", cacheControl)]
        if EntityTag.ifNoneMatch(request.headers["if-none-match"], matches: etag) {
            return HTTPResponse(status: 304, headers: Array(headers.dropFirst()), body: [])
        }
        return HTTPResponse(status: 200, headers: headers, body: body)
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
