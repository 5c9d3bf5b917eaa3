/// What a provider needs before it can fetch anything.
public enum ProviderRequirement: String, Sendable {
    /// A user's OAuth token (Trakt OAuth mode, Simkl).
    case oauthToken
    /// Only an application key (Trakt public mode).
    case apiKey
    /// Nothing at all (Letterboxd's public feed).
    case nothing
}
