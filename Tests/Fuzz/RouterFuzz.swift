// libFuzzer entry point for the request router, built by Tests/Fuzz/build.sh (not by SwiftPM).
//
// Input layout: method, REQUEST_URI and If-None-Match separated by 0x00 bytes (missing parts are
// absent: no method means GET, no third part means no If-None-Match); one more part, if present,
// picks the engine's answer by its first byte (data, no data, stale, 503, re-auth).
// The request goes through HTTPRequest(requestURI:) and RequestHandler.respond with a stub
// LastWatchedSource, exactly as FastCGIRequest.read() hands it over.
// Oracles: only the contract's statuses; JSON bodies; no header value carries a CR or LF (nothing
// from the request may split the CGI head); HEAD has no body; 405 carries Allow; 304 only for a
// GET/HEAD of /api/trakt/last whose If-None-Match matches the ETag.
import FoundationEssentials

private let now = 1_795_560_000.0

private let item = WatchedItem(
    kind: .episode, title: "The Iron Throne", showTitle: "Game of Thrones", season: 8, episode: 6, year: 2011,
    posterURL: "https://image.tmdb.org/t/p/w500/x.jpg", url: "https://trakt.tv/shows/game-of-thrones",
    watchedAt: "2019-05-20T01:00:00.000Z"
)

private struct StubSource: LastWatchedSource {
    let answer: LastWatchedLookup

    func lastWatched() -> LastWatchedLookup { answer }

    func health() -> HealthReport {
        HealthReport(
            canServe: true, mode: .oauth, tokenState: "valid", tokenExpiresAt: now + 600, tokenRotatedAt: now,
            storeKind: "file", storeReachable: true, cacheAge: 3, cacheStale: false, lastSuccessAt: now,
            lastErrorCode: nil
        )
    }
}

private let answers: [LastWatchedLookup] = [
    .result(CachedResult(provider: .trakt, snapshot: WatchSnapshot(last: item), fetchedAt: now, verifiedAt: now, posterRetry: nil, mark: nil), maxAge: 300),
    .result(CachedResult(provider: .trakt, snapshot: WatchSnapshot(last: nil), fetchedAt: now, verifiedAt: now, posterRetry: nil, mark: nil), maxAge: 1),
    .result(CachedResult(provider: .trakt, snapshot: WatchSnapshot(last: item), fetchedAt: now, verifiedAt: now, stale: true, posterRetry: nil, mark: nil), maxAge: 1),
    .failure(.upstreamUnavailable(retryAfter: 30)),
    .failure(.reauthRequired(retryAfter: 5)),
]

private struct JSONObject: Decodable {
    var ok: Bool
}

private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz oracle: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func routerFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
    let method = parts.count > 1 ? String(decoding: parts[0], as: UTF8.self) : "GET"
    let uri = parts.count > 1 ? parts[1] : (parts.first ?? [])
    var headers: [String: String] = [:]
    if parts.count > 2 { headers["if-none-match"] = String(decoding: parts[2], as: UTF8.self) }
    let pick = parts.count > 3 ? Int(parts[3].first ?? 0) % answers.count : 0
    let answer = answers[pick]

    let request = HTTPRequest(method: method, requestURI: uri, headers: headers)
    // The split must lose nothing but the '?' itself.
    check(request.path.count + (request.query.isEmpty && !uri.contains(UInt8(ascii: "?")) ? 0 : 1) <= uri.count,
          "path/query split grew the URI")
    check(!request.path.contains(UInt8(ascii: "?")), "path keeps a '?'")

    let response = RequestHandler(source: StubSource(answer: answer), ttl: 300).respond(to: request)

    check([200, 304, 400, 404, 405, 414, 503].contains(response.status), "unexpected status \(response.status)")
    for (name, value) in response.headers {
        check(!name.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) && !value.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }),
              "header \(name) carries a control character: \(value.debugDescription)")
    }
    let head = String(decoding: response.cgiHead(), as: UTF8.self)
    check(head.hasPrefix("Status: \(response.status) "), "CGI head does not start with Status")
    check(head.hasSuffix("\r\n\r\n"), "CGI head does not end with a blank line")

    let isHead = request.method == "HEAD"
    if response.status == 405 {
        check(response.header("Allow") == "GET, HEAD", "405 without Allow: GET, HEAD")
    }
    if response.status == 304 {
        check(request.method == "GET" || isHead, "304 for \(request.method)")
        check(response.body.isEmpty, "304 with a body")
        guard case .result(let cached, _) = answer else { fatalError("fuzz oracle: 304 without a cached result") }
        check(EntityTag.ifNoneMatch(headers["if-none-match"], matches: cached.etag), "304 without a matching tag")
    }
    if isHead {
        check(response.body.isEmpty, "HEAD with a body")
        if response.status != 304 {
            check(response.header("Content-Length") != nil, "HEAD without Content-Length")
        }
    }
    if !response.body.isEmpty {
        check((try? JSONDecoder().decode(JSONObject.self, from: Data(response.body))) != nil,
              "body is not a JSON object with ok: \(String(decoding: response.body, as: UTF8.self))")
        check(response.header("Content-Type") == "application/json; charset=utf-8", "body without the JSON content type")
    }

    // If-None-Match on its own, against a real tag and against "*".
    if let tag = headers["if-none-match"] {
        let etag = EntityTag.of(Array(tag.utf8))
        _ = EntityTag.ifNoneMatch(tag, matches: etag)
        check(EntityTag.ifNoneMatch(tag + ", " + etag, matches: etag), "a list ending with the tag must match")
        check(EntityTag.ifNoneMatch("*", matches: etag), "* must match")
    }
    return 0
}
