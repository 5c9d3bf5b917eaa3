import CurlClient
import Logging
import SystemCalls
import TraktWidgetCore
import UpstreamClients

/// The TMDB poster lookup every provider shares: a provider's chosen items go in with where TMDB may
/// have a poster, and come out with `poster_url` set. TMDB first, then the provider's own artwork,
/// then null. TMDB failing only ever costs the poster, and is asked again on a later refresh.
public final class PosterResolver: Sendable {
    private let http: HTTPClient
    private let tmdb: TMDBAPI?
    private let images: ImageSettings
    private let cache: PosterCache

    /// `tmdb` is nil without TMDB credentials: then only providers' own posters are used.
    public init(http: HTTPClient, tmdb: TMDBAPI?, images: ImageSettings, clock: WallClock) {
        self.http = http
        self.tmdb = tmdb
        self.images = images
        self.cache = PosterCache(clock: clock)
    }

    /// The items with posters, and the newest item's TMDB reference when TMDB failed for it (so the
    /// engine can retry just that one later).
    public func resolve(_ items: [UnresolvedItem]) -> (items: [WatchedItem], retry: PosterReference?) {
        let failed = lookUp(items.compactMap(\.tmdb))
        let resolved = items.map { unresolved in
            var item = unresolved.item
            item.posterURL = unresolved.tmdb.flatMap(cachedURL) ?? unresolved.fallbackPosterURL
            return item
        }
        let retry = items.first?.tmdb.flatMap { failed.contains($0) ? $0 : nil }
        return (resolved, retry)
    }

    /// Asks TMDB again for a poster it failed to give: `.some(url)` (the url may be nil: no poster), or
    /// `.none` when TMDB failed again.
    public func retry(_ reference: PosterReference) -> String?? {
        lookUp([reference]).isEmpty ? .some(cachedURL(reference)) : .none
    }

    /// Fills the cache for the references it does not know, concurrently and once each; returns the
    /// references TMDB failed for.
    private func lookUp(_ references: [PosterReference]) -> Set<PosterReference> {
        var seen: Set<PosterReference> = []
        let missing = references.filter { cache.lookup($0) == nil && seen.insert($0).inserted }
        guard let tmdb, !missing.isEmpty else { return [] }
        var failed: Set<PosterReference> = []
        for (reference, answer) in zip(missing, http.send(missing.map(tmdb.request(for:)))) {
            switch TMDBAPI.parsePosterPath(answer) {
            case .success(let path):
                cache.store(path, for: reference)
            case .failure(let failure):
                Logger.shared.warning("TMDB lookup for \(reference.kind.rawValue) \(reference.tmdbID) failed: \(failure.code)")
                failed.insert(reference)
            }
        }
        return failed
    }

    private func cachedURL(_ reference: PosterReference) -> String? {
        images.posterURL(for: cache.lookup(reference) ?? nil)
    }
}
