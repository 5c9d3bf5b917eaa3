import CurlClient
import Logging
import PosterLookup
import RefreshEngine
import TraktWidgetCore
import UpstreamClients

/// Trakt behind the provider protocol, in OAuth mode (`tokens` set) or public mode.
///
/// OAuth, warm: the change check is `last_activities` alone, and nothing more when neither watched
/// mark moved. Cold (nothing held) or public mode: the check is free and the fetch asks the movie
/// and episode histories (plus, in OAuth mode, the activity marks) concurrently, then TMDB.
public final class TraktWatchProvider: WatchProvider {
    public let kind = ProviderKind.trakt
    public var requirement: ProviderRequirement { tokens == nil ? .apiKey : .oauthToken }

    private let http: HTTPClient
    private let trakt: TraktAPI
    private let tokens: TokenManager?
    private let posters: PosterResolver

    /// `tokens` is nil in public mode.
    public init(http: HTTPClient, trakt: TraktAPI, tokens: TokenManager?, posters: PosterResolver) {
        self.http = http
        self.trakt = trakt
        self.tokens = tokens
        self.posters = posters
    }

    public func changeCheck(since mark: ChangeMark?) -> Result<ChangeCheck, ProviderFailure> {
        guard tokens != nil, let known = TraktMark(mark).activities else { return .success(.changed(mark: nil)) }
        return authorized { token in TraktAPI.parseLastActivities(http.send(trakt.lastActivitiesRequest(accessToken: token))) }
            .map { $0 == known ? .unchanged : .changed(mark: TraktMark(activities: $0, sides: nil).mark) }
            .mapError(providerFailure)
    }

    public func fetch(_ context: FetchContext) -> Result<FetchOutcome, ProviderFailure> {
        // Marks read by the change check this cycle are the ones the history reflects; without them
        // (cold, OAuth) they are asked alongside the history.
        let known = TraktMark(context.checked).activities
        return fetchHistory(
            knownActivities: known, knownSides: TraktMark(context.heldMark).sides, withActivities: tokens != nil && known == nil
        ).mapError(providerFailure)
    }

    private func fetchHistory(
        knownActivities: TraktLastActivities?, knownSides: HistorySides?, withActivities: Bool
    ) -> Result<FetchOutcome, RefreshFailure> {
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
        guard case .success(let results) = batch else { return .failure(batch.failure!) }

        let sideFailures = [results.movie.failure, results.episode.failure].compactMap { $0 }
        guard let sides = HistorySides.merge(known: knownSides, movie: results.movie, episode: results.episode) else {
            return .failure(.upstream(UpstreamFailure.mostSevere(sideFailures)))
        }
        // With one side missing, the marks would claim a state we did not see: drop them, so the next
        // refresh fetches history again instead of trusting a half answer.
        let activities = sideFailures.isEmpty ? (knownActivities ?? results.activities?.success) : nil

        let newest = sides.newest
        let chosen = newest.flatMap { item in
            WatchedItemFormatter.format(item, posterPath: nil, images: ImageSettings()).map {
                UnresolvedItem(item: $0, tmdb: WatchedItemFormatter.posterReference(for: item))
            }
        }
        let (items, retry) = posters.resolve(chosen.map { [$0] } ?? [])
        // One side failed: serve what is known, and let the failure drive health and the backoff.
        let missing = sideFailures.isEmpty ? nil : providerFailure(.upstream(UpstreamFailure.mostSevere(sideFailures)))
        let mark = TraktMark(activities: activities, sides: sides).mark
        return .success(.updated(WatchSnapshot(recent: items), mark: mark, posterRetry: retry, incomplete: missing))
    }

    private func providerFailure(_ failure: RefreshFailure) -> ProviderFailure {
        Logger.shared.warning(failure.diagnosis)
        switch failure {
        case .store: return .unavailable(code: ProviderFailure.storeErrorCode)
        case .upstream(.reauthRequired): return .reauthRequired
        case .upstream(.rateLimited(let seconds)): return .rateLimited(retryAfter: seconds)
        case .upstream(.malformed): return .malformed
        case .upstream(let upstream): return .unavailable(code: upstream.code)
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
