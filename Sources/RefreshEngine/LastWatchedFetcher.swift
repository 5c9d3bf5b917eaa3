import CurlClient
import Logging
import SystemCalls
import TraktWidgetCore
import UpstreamClients

/// One refresh against Trakt and TMDB: the recent items (the last one first) and what plays now.
/// Blocking; runs on the refresh thread (or inline for CGI and `trakt-widget last`).
///
/// Cold: last activities, the mixed history (`limit=10`) and watching concurrently, then TMDB for the
/// posters not yet known: two round trips. Warm (OAuth): last activities and watching, and nothing more
/// when neither watched mark moved: two Trakt calls. Public mode: history and watching every time.
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

    /// The recent items kept: the longest history list (`/api/watch/history?limit=10`); the card's rows
    /// and the last item come from the same list.
    static let recentLimit = WatchSnapshot.maximumRecent

    public func fetch(previous: CachedResult?) -> FetchOutcome {
        let oauth = tokens != nil
        let known = oauth ? previous?.mark.map(TraktLastActivities.init(mark:)) : nil
        // Warm (OAuth, marks held): the change check and what plays now, in one round; history only when
        // a mark moved. Cold, or public mode (no marks without a token): history and watching together,
        // plus in OAuth mode the marks that history reflects.
        let first = round(activities: oauth, history: known == nil, watching: true)
        guard case .success(var answers) = first else { return .failed(first.failure!) }
        if let known {
            switch answers.activities! {
            case .failure(let failure):
                return .failed(.upstream(failure))
            case .success(let activities) where activities == known && previous!.posterResolved:
                break
            case .success:
                // A mark moved (or TMDB failed last time, and the poster needs the entries again).
                let second = round(activities: false, history: true, watching: false)
                guard case .success(let more) = second else { return .failed(second.failure!) }
                answers.history = more.history
            }
        }
        return assemble(answers, previous: previous)
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
            if history { requests.append(trakt.historyRequest(limit: Self.recentLimit, accessToken: token)) }
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

    /// The snapshot from the answers: the history just read (or, when unchanged, the one held) and what
    /// plays now. History is the answer itself, so without it the refresh fails. Without watching the
    /// result is published as partial: served, but stale and retried with backoff, never as fresh.
    private func assemble(_ answers: Round, previous: CachedResult?) -> FetchOutcome {
        if case .failure(let failure)? = answers.history { return .failed(.upstream(failure)) }
        let entries = answers.history?.success
        let playing: TraktWatching?? = answers.watching?.success

        var references = entries?.compactMap(WatchedItemFormatter.posterReference) ?? []
        if let media = playing??.media, let reference = WatchedItemFormatter.posterReference(for: media) {
            references.append(reference)
        }
        let (paths, resolved) = posterPaths(for: references)
        func path(_ entry: TraktHistoryItem) -> String? {
            WatchedItemFormatter.posterReference(for: entry).flatMap { paths[$0] ?? nil }
        }

        let recent = entries.map { $0.compactMap { WatchedItemFormatter.format($0, posterPath: path($0), images: images) } }
            ?? previous?.snapshot.recent ?? []
        let watching = playing.map { $0.flatMap { $0.watchingNow(posterPath: path($0.media), images: images) } }
            ?? previous?.snapshot.watching
        let snapshot = WatchSnapshot(recent: recent, watching: watching)

        let now = clock.now()
        let unchanged = previous?.snapshot == snapshot
        let activities = answers.activities?.success ?? previous?.mark.map(TraktLastActivities.init(mark:))
        let complete = answers.watching?.failure == nil
        let result = CachedResult(
            provider: .trakt, snapshot: snapshot, fetchedAt: unchanged ? previous!.fetchedAt : now, verifiedAt: now,
            stale: !complete,
            poster: entries?.first.flatMap(WatchedItemFormatter.posterReference) ?? previous?.poster,
            posterResolved: entries == nil ? previous?.posterResolved ?? true : resolved,
            mark: tokens == nil ? nil : activities?.mark
        )
        guard case .failure(let failure)? = answers.watching else { return .complete(result) }
        // Flagged stale from the start: what plays now may have changed, so this is not a fresh answer.
        return .partial(result, .upstream(failure))
    }

    /// TMDB poster paths by reference (nil: TMDB has none), and whether every lookup got an answer.
    /// Known ones come from the day-long cache; the rest are asked for concurrently. TMDB failing only
    /// ever costs posters.
    private func posterPaths(for references: [PosterReference]) -> ([PosterReference: String?], Bool) {
        var paths: [PosterReference: String?] = [:]
        var missing: [PosterReference] = []
        for reference in Set(references) {
            if let known = posters.lookup(reference) { paths[reference] = known } else { missing.append(reference) }
        }
        guard let tmdb, !missing.isEmpty else { return (paths, true) }
        var resolved = true
        for (reference, response) in zip(missing, http.send(missing.map(tmdb.request(for:)))) {
            switch TMDBAPI.parsePosterPath(response) {
            case .success(let path):
                posters.store(path, for: reference)
                paths[reference] = path
            case .failure(let failure):
                Logger.shared.warning("TMDB lookup for \(reference.kind.rawValue) \(reference.tmdbID) failed: \(failure.code)")
                resolved = false
            }
        }
        return (paths, resolved)
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
