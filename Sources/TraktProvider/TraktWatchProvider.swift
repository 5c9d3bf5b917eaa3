import CurlClient
import Logging
import PosterLookup
import RefreshEngine
import TraktWidgetCore
import UpstreamClients

/// Trakt behind the provider protocol, in OAuth mode (`tokens` set) or public mode.
///
/// Every refresh asks what plays now (`/users/{id}/watching`). OAuth, warm: the change check is
/// `last_activities` and `watching` in one round, and nothing more when neither watched mark moved: two
/// calls. Cold (nothing held) or public mode: the check is free and the fetch asks the mixed history
/// (`limit=10`, the last item and the recent list in one call), `watching` and, in OAuth mode, the
/// activity marks concurrently, then TMDB.
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
        guard tokens != nil, TraktMark(mark).activities != nil else { return .success(.changed(mark: nil)) }
        let answers = round(activities: true, history: false, watching: true)
        guard case .success(let round) = answers else { return .failure(providerFailure(answers.failure!)) }
        switch (round.activities!, round.watching!) {
        case (.failure(let failure), _), (_, .failure(let failure)):
            // Without what plays now the answer would be half of one: the refresh fails, the held
            // result is served stale.
            return .failure(providerFailure(.upstream(failure)))
        case (.success(let activities), .success(let watching)):
            // Always "changed", carrying what plays now: the fetch then asks nothing more unless a
            // watched mark moved.
            return .success(.changed(mark: TraktMark(activities: activities, playing: Self.playing(watching)).mark))
        }
    }

    public func fetch(_ context: FetchContext) -> Result<FetchOutcome, ProviderFailure> {
        let checked = context.checked.map { TraktMark($0) }
        let held = TraktMark(context.heldMark)
        // The check already read the marks and what plays; the history is asked only when a mark moved,
        // nothing is held, or TMDB owes a poster. Cold OAuth reads the marks the history reflects with it.
        let historyMoved = checked == nil || checked?.activities != held.activities || context.held == nil || held.posterMissing
        let answers = round(
            activities: tokens != nil && checked == nil, history: historyMoved, watching: checked == nil
        )
        guard case .success(let round) = answers else { return .failure(providerFailure(answers.failure!)) }
        if case .failure(let failure)? = round.history { return .failure(providerFailure(.upstream(failure))) }

        let activities = checked?.activities ?? round.activities?.success
        var unresolved = round.history?.success.map { entries in
            entries.compactMap { entry in
                WatchedItemFormatter.format(entry, posterPath: nil, images: ImageSettings()).map {
                    UnresolvedItem(item: $0, tmdb: WatchedItemFormatter.posterReference(for: entry))
                }
            }
        } ?? context.held?.recent.map { UnresolvedItem(item: $0, tmdb: nil, fallbackPosterURL: $0.posterURL) } ?? []
        let playing: TraktMark.Playing?? = checked.map { .some($0.playing) } ?? round.watching?.success.map(Self.playing)
        if let playing = playing ?? nil {
            unresolved.append(UnresolvedItem(item: playing.watching.item, tmdb: playing.tmdb))
        }
        var (items, retry) = posters.resolve(unresolved)
        var watching: WatchingNow?
        if let playing = playing ?? nil {
            watching = playing.watching
            watching?.item = items.removeLast()
        }
        // What plays now missing (cold or public mode, the watching call failed): served, never as fresh.
        let missing = round.watching?.failure.map { providerFailure(.upstream($0)) }
        let mark = TraktMark(activities: tokens == nil ? nil : activities, posterMissing: retry != nil).mark
        return .success(.updated(WatchSnapshot(recent: items, watching: watching), mark: mark, posterRetry: retry, incomplete: missing))
    }

    /// What one round of Trakt calls answered; nil for a call not made.
    private struct Round {
        var activities: Result<TraktLastActivities, UpstreamFailure>?
        var history: Result<[TraktHistoryItem], UpstreamFailure>?
        var watching: Result<TraktWatching?, UpstreamFailure>?
    }

    /// One round of concurrent Trakt calls. A 401 on any of them means the token went bad: `authorized`
    /// refreshes it and repeats the round once.
    private func round(activities: Bool, history: Bool, watching: Bool) -> Result<Round, RefreshFailure> {
        authorized { token in
            var requests: [UpstreamRequest] = []
            if activities { requests.append(trakt.lastActivitiesRequest(accessToken: token)) }
            if history { requests.append(trakt.historyRequest(limit: WatchSnapshot.maximumRecent, accessToken: token)) }
            if watching { requests.append(trakt.watchingRequest(accessToken: token)) }
            var responses = http.send(requests).makeIterator()
            let answers = Round(
                activities: activities ? TraktAPI.parseLastActivities(responses.next()!) : nil,
                history: history ? TraktAPI.parseHistory(responses.next()!) : nil,
                watching: watching ? TraktAPI.parseWatching(responses.next()!) : nil
            )
            let failures = [answers.activities?.failure, answers.history?.failure, answers.watching?.failure]
            return failures.contains(.unauthorized) ? .failure(.unauthorized) : .success(answers)
        }
    }

    /// Trakt's watching body as the contract's item (poster still to find), nil when idle.
    private static func playing(_ watching: TraktWatching?) -> TraktMark.Playing? {
        guard let watching, let now = watching.watchingNow(posterPath: nil, images: ImageSettings()) else { return nil }
        return TraktMark.Playing(watching: now, tmdb: WatchedItemFormatter.posterReference(for: watching.media))
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
