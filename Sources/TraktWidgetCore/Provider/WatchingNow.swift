/// What is playing right now, for providers with such an endpoint (Trakt's `watching`).
public struct WatchingNow: Equatable, Sendable, Codable {
    public enum Action: String, Sendable, Codable {
        case checkin
        case scrobble
    }

    public var item: WatchedItem
    public var startedAt: String
    public var expiresAt: String
    public var action: Action

    public init(item: WatchedItem, startedAt: String, expiresAt: String, action: Action) {
        self.item = item
        self.startedAt = startedAt
        self.expiresAt = expiresAt
        self.action = action
    }
}
