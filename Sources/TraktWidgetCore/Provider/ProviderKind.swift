/// Which upstream the deployment reads its watch history from (`WATCH_PROVIDER`).
public enum ProviderKind: String, CaseIterable, Codable, Sendable {
    case trakt
    case simkl
    case letterboxd

    /// How people write the name in prose, for the widget's link label and messages.
    public var displayName: String {
        switch self {
        case .trakt: "Trakt"
        case .simkl: "Simkl"
        case .letterboxd: "Letterboxd"
        }
    }
}
