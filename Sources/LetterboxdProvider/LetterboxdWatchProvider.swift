import CurlClient
import LetterboxdFeed
import PosterLookup
import TraktWidgetCore
import UpstreamClients

/// Letterboxd's public RSS feed behind the provider protocol. There is no cheaper question than the
/// feed itself, so the change check is free and `fetch` is one conditional GET: a 304 keeps the held
/// snapshot; Cloudflare's 403/429 pages are failures like any other, served stale with back-off.
public final class LetterboxdWatchProvider: WatchProvider {
    public let kind = ProviderKind.letterboxd
    public let requirement = ProviderRequirement.nothing

    private let http: HTTPClient
    private let settings: LetterboxdSettings
    private let posters: PosterResolver

    public init(http: HTTPClient, settings: LetterboxdSettings, posters: PosterResolver) {
        self.http = http
        self.settings = settings
        self.posters = posters
    }

    public func changeCheck(since mark: ChangeMark?) -> Result<ChangeCheck, ProviderFailure> {
        .success(.changed(mark: nil))
    }

    public func fetch(_ context: FetchContext) -> Result<FetchOutcome, ProviderFailure> {
        var headers = [("Accept", "application/rss+xml, application/xml;q=0.9")]
        // Validators only help when there is a snapshot a 304 can keep.
        if context.held != nil, let mark = context.heldMark {
            if let etag = mark["etag"] { headers.append(("If-None-Match", etag)) }
            if let modified = mark["last_modified"] { headers.append(("If-Modified-Since", modified)) }
        }
        let answer = http.send(UpstreamRequest(url: settings.feedURL, headers: headers))
        return ProviderResponse.check(answer, kind: kind).flatMap { response in
            let mark = Self.mark(response, keeping: context.heldMark)
            if response.status == 304 {
                return context.held == nil ? .failure(.malformed) : .success(.notModified(mark: mark))
            }
            let entries: [LetterboxdEntry]
            do {
                entries = try LetterboxdFeedParser.parse(response.body)
            } catch {
                return .failure(response.isHTML ? .unavailable(code: "LETTERBOXD_BLOCKED") : .malformed)
            }
            let (items, retry) = posters.resolve(LetterboxdSelection.newest(entries))
            return .success(.updated(WatchSnapshot(recent: items), mark: mark, posterRetry: retry))
        }
    }

    /// The validators of this answer; a 304 that repeats none keeps the held ones.
    private static func mark(_ response: UpstreamResponse, keeping held: ChangeMark?) -> ChangeMark {
        var values = held?.values ?? [:]
        if response.status != 304 { values = [:] }
        if let etag = response.headers["etag"] { values["etag"] = etag }
        if let modified = response.headers["last-modified"] { values["last_modified"] = modified }
        return ChangeMark(values)
    }
}
