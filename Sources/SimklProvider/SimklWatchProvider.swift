import CurlClient
import PosterLookup
import TraktWidgetCore
import UpstreamClients

/// Simkl behind the provider protocol, polite by construction: the change check is
/// `GET /sync/activities`, and `/sync/all-items` is read only after it moved — the whole library once
/// when nothing is held, deltas (`date_from`) after that. Simkl suspends clients that do otherwise.
public final class SimklWatchProvider: WatchProvider {
    public let kind = ProviderKind.simkl
    public let requirement = ProviderRequirement.oauthToken

    private let http: HTTPClient
    private let api: SimklAPI
    private let tokens: SimklTokenSource
    private let posters: PosterResolver

    public init(http: HTTPClient, api: SimklAPI, tokens: SimklTokenSource, posters: PosterResolver) {
        self.http = http
        self.api = api
        self.tokens = tokens
        self.posters = posters
    }

    public func changeCheck(since mark: ChangeMark?) -> Result<ChangeCheck, ProviderFailure> {
        authorized { token in
            ProviderResponse.check(http.send(api.activitiesRequest(token: token)), kind: kind).flatMap { response in
                guard let activities = SimklActivities.parse(response.body) else { return .failure(.malformed) }
                let now = activities.mark
                if let mark, !SimklActivities.moved(from: mark, to: now) { return .success(.unchanged) }
                return .success(.changed(mark: now))
            }
        }
    }

    public func fetch(_ context: FetchContext) -> Result<FetchOutcome, ProviderFailure> {
        // A delta needs something to apply it to, and a point to start from.
        let dateFrom = context.held != nil ? context.heldMark?["all"] : nil
        return authorized { token in
            ProviderResponse.check(http.send(api.allItemsRequest(token: token, dateFrom: dateFrom)), kind: kind).flatMap { response in
                guard let library = SimklLibrary.parse(response.body) else { return .failure(.malformed) }
                let (items, retry) = posters.resolve(SimklSelection.newest(in: library))
                let recent = if let held = context.held, dateFrom != nil {
                    SimklSelection.merge(delta: items, into: held.recent)
                } else {
                    items
                }
                let retryPoster = recent.first == items.first ? retry : nil
                return .success(.updated(WatchSnapshot(recent: recent), mark: context.checked, posterRetry: retryPoster))
            }
        }
    }

    /// The token's phase, for health.
    public var tokenPhase: TokenPhase { tokens.phase }

    private func authorized<T>(_ call: (String) -> Result<T, ProviderFailure>) -> Result<T, ProviderFailure> {
        tokens.current().flatMap { token in
            let result = call(token)
            if case .failure(.reauthRequired) = result { tokens.rejected(token) }
            return result
        }
    }
}
