/// `GET /api/watch/health` (and `/api/trakt/health`): what an operator or a monitor needs, and never a secret.
public struct HealthReport: Equatable, Sendable {
    public enum Mode: String, Sendable {
        case oauth
        case `public`
    }

    public var canServe: Bool
    public var provider: ProviderKind
    public var mode: Mode
    public var tokenState: String
    public var tokenExpiresAt: Double?
    public var tokenRotatedAt: Double?
    /// False while a rotated pair is in use that no store has written yet.
    public var tokenPersisted: Bool
    public var storeKind: String
    public var storeReachable: Bool
    public var cacheAge: Double?
    public var cacheStale: Bool
    public var lastSuccessAt: Double?
    /// The last upstream failure (the provider, TMDB); never a store failure.
    public var lastErrorCode: String?
    /// The last token store failure, apart from upstream ones.
    public var storeLastErrorCode: String?
    /// What the widget would say about the cached item's time ("watched on 2 Aug"), or nil.
    public var lastWatched: String?

    public init(
        canServe: Bool, provider: ProviderKind = .trakt, mode: Mode, tokenState: String, tokenExpiresAt: Double?,
        tokenRotatedAt: Double?, storeKind: String, storeReachable: Bool, cacheAge: Double?, cacheStale: Bool,
        lastSuccessAt: Double?, lastErrorCode: String?, storeLastErrorCode: String? = nil, tokenPersisted: Bool = true,
        lastWatched: String? = nil
    ) {
        self.canServe = canServe
        self.provider = provider
        self.mode = mode
        self.tokenState = tokenState
        self.tokenExpiresAt = tokenExpiresAt
        self.tokenRotatedAt = tokenRotatedAt
        self.tokenPersisted = tokenPersisted
        self.storeKind = storeKind
        self.storeReachable = storeReachable
        self.cacheAge = cacheAge
        self.cacheStale = cacheStale
        self.lastSuccessAt = lastSuccessAt
        self.lastErrorCode = lastErrorCode
        self.storeLastErrorCode = storeLastErrorCode
        self.lastWatched = lastWatched
    }

    public var status: Int { canServe ? 200 : 503 }

    public var body: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.bool("ok", canServe)
        json.string("provider", provider.rawValue)
        json.string("mode", mode.rawValue)
        json.beginObject("token")
        json.string("state", tokenState)
        json.string("expires_at", tokenExpiresAt.map(Timestamp.format))
        json.string("rotated_at", tokenRotatedAt.map(Timestamp.format))
        json.bool("persisted", tokenPersisted)
        json.endObject()
        json.beginObject("store")
        json.string("type", storeKind)
        json.bool("reachable", storeReachable)
        json.string("last_error_code", storeLastErrorCode)
        json.endObject()
        json.beginObject("cache")
        json.int("age_s", cacheAge.map { Int(saturating: $0) })
        json.bool("stale", cacheStale)
        json.endObject()
        json.beginObject("upstream")
        json.string("last_success_at", lastSuccessAt.map(Timestamp.format))
        json.string("last_error_code", lastErrorCode)
        json.endObject()
        json.string("last_watched", lastWatched)
        json.endObject()
        return json.bytes
    }
}
