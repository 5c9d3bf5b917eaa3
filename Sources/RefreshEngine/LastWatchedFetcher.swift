import CurlClient
import Logging
import SystemCalls
import TraktWidgetCore
import UpstreamClients

/// One refresh of the last watched item against Trakt and TMDB. Blocking; runs on the refresh thread
/// (or inline for CGI and `trakt-widget last`).
///
/// Cold: last activities, movie history and episode history concurrently, then TMDB: two round trips.
/// Warm (OAuth): last activities alone, and nothing more when neither watched mark moved.
public final class LastWatchedFetcher: Sendable {
    private let http: HTTPClient
    private let trakt: TraktAPI
    private let tmdb: TMDBAPI?
    private let tokens: TokenManager?
    private let posters: PosterCache
    private let images: ImageSettings
    private let clock: WallClock

    /// `tokens` is nil in public mode; `tmdb` is nil without TMDB credentials.
    public init(http: HTTPClient, trakt: TraktAPI, tmdb: TMDBAPI?, tokens: TokenManager?, images: ImageSettings, clock: WallClock) {
        self.http = http
        self.trakt = trakt
        self.tmdb = tmdb
        self.tokens = tokens
        self.posters = PosterCache(clock: clock)
        self.images = images
        self.clock = clock
    }

    public func fetch(previous: CachedResult?) -> FetchOutcome {
        guard tokens != nil else { return fetchHistory(previous: previous, knownActivities: nil, withActivities: false) }
        guard let previous, let known = previous.activities else {
            return fetchHistory(previous: previous, knownActivities: nil, withActivities: true)
        }
        switch authorized({ token in TraktAPI.parseLastActivities(http.send(trakt.lastActivitiesRequest(accessToken: token))) }) {
        case .failure(let failure):
            return .failed(failure)
        case .success(let activities) where activities == known:
            return .complete(reverify(previous))
        case .success(let activities):
            // Changed: the marks just read are the ones the new history reflects; don't ask twice.
            return fetchHistory(previous: previous, knownActivities: activities, withActivities: false)
        }
    }

    /// Fetches both histories (and, when `withActivities`, the activity marks alongside them).
    /// `knownActivities` are marks already read this cycle.
    private func fetchHistory(
        previous: CachedResult?, knownActivities: TraktLastActivities?, withActivities: Bool
    ) -> FetchOutcome {
        typealias Batch = (
            movie: Result<TraktHistoryItem?, UpstreamFailure>,
            episode: Result<TraktHistoryItem?, UpstreamFailure>,
            activities: Result<TraktLastActivities, UpstreamFailure>?
        )
        let batch: Result<Batch, RefreshFailure> = authorized { token in
            var requests = [trakt.historyRequest(.movies, accessToken: token), trakt.historyRequest(.episodes, accessToken: token)]
            if withActivities { requests.append(trakt.lastActivitiesRequest(accessToken: token)) }
            let responses = http.send(requests)
            let result: Batch = (
                TraktAPI.parseHistory(responses[0]),
                TraktAPI.parseHistory(responses[1]),
                withActivities ? TraktAPI.parseLastActivities(responses[2]) : nil
            )
            // A 401 on any of them means the token went bad: let `authorized` refresh and retry once.
            let failures = [result.movie.failure, result.episode.failure, result.activities?.failure].compactMap { $0 }
            if failures.contains(.unauthorized) { return .failure(.unauthorized) }
            return .success(result)
        }
        guard case .success(let results) = batch else { return .failed(batch.failure!) }

        let sideFailures = [results.movie.failure, results.episode.failure].compactMap { $0 }
        guard let sides = HistorySides.merge(known: previous?.sides, movie: results.movie, episode: results.episode) else {
            return .failed(.upstream(UpstreamFailure.mostSevere(sideFailures)))
        }
        // With one side missing, the marks would claim a state we did not see: drop them, so the next
        // refresh fetches history again instead of trusting a half answer.
        let activities = sideFailures.isEmpty ? (knownActivities ?? results.activities?.success) : nil

        let newest = sides.newest
        let reference = newest.flatMap(WatchedItemFormatter.posterReference)
        let (posterPath, resolved) = poster(for: reference)
        let item = newest.flatMap { WatchedItemFormatter.format($0, posterPath: posterPath, images: images) }
        let now = clock.now()
        let unchanged = previous.map { $0.item == item } ?? false
        let result = CachedResult(
            item: item, fetchedAt: unchanged ? previous!.fetchedAt : now, verifiedAt: now,
            poster: reference, posterResolved: resolved, activities: activities, sides: sides
        )
        guard sideFailures.isEmpty else { return .partial(result, .upstream(UpstreamFailure.mostSevere(sideFailures))) }
        return .complete(result)
    }

    /// Trakt confirmed nothing changed. Only a poster TMDB failed to give last time is asked again.
    private func reverify(_ previous: CachedResult) -> CachedResult {
        let now = clock.now()
        guard !previous.posterResolved, let reference = previous.poster, var item = previous.item else {
            return previous.reverified(at: now, activities: previous.activities)
        }
        let (posterPath, resolved) = poster(for: reference)
        guard resolved else { return previous.reverified(at: now, activities: previous.activities) }
        item.posterURL = images.posterURL(for: posterPath)
        return CachedResult(
            item: item, fetchedAt: now, verifiedAt: now, poster: reference, posterResolved: true,
            activities: previous.activities, sides: previous.sides
        )
    }

    /// The poster path and whether it is a definite answer. TMDB failing only ever costs the poster.
    private func poster(for reference: PosterReference?) -> (String?, Bool) {
        guard let reference else { return (nil, true) }
        if let known = posters.lookup(reference) { return (known, true) }
        guard let tmdb else { return (nil, true) }
        switch TMDBAPI.parsePosterPath(http.send(tmdb.request(for: reference))) {
        case .success(let path):
            posters.store(path, for: reference)
            return (path, true)
        case .failure(let failure):
            Logger.shared.warning("TMDB lookup for \(reference.kind.rawValue) \(reference.tmdbID) failed: \(failure.code)")
            return (nil, false)
        }
    }

    /// Runs `call` with an access token (nil in public mode). On a 401, refreshes once and retries once.
    private func authorized<T>(_ call: (String?) -> Result<T, UpstreamFailure>) -> Result<T, RefreshFailure> {
        guard let tokens else { return call(nil).mapError(RefreshFailure.upstream) }
        let token: String
        switch tokens.accessToken() {
        case .success(let current): token = current
        case .failure(let failure): return .failure(failure)
        }
        let first = call(token)
        guard first.failure == .unauthorized else { return first.mapError(RefreshFailure.upstream) }
        tokens.accessTokenRejected()
        switch tokens.accessToken() {
        case .success(let renewed): return call(renewed).mapError(RefreshFailure.upstream)
        case .failure(let failure): return .failure(failure)
        }
    }
}
