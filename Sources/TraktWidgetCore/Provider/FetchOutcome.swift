/// A successful fetch: a new snapshot, or upstream's word that the held one is still current.
public enum FetchOutcome: Equatable, Sendable {
    /// `mark` is stored with the snapshot and handed back on the next refresh. `posterRetry` is the
    /// newest item's TMDB reference when TMDB failed for it, so a later refresh can ask again alone.
    /// `incomplete` says a part of the fetch failed (one of Trakt's two histories): the snapshot is
    /// served, and health still names the failure.
    case updated(WatchSnapshot, mark: ChangeMark?, posterRetry: PosterReference? = nil, incomplete: ProviderFailure? = nil)
    /// Letterboxd's 304: keep the held snapshot; `mark` replaces the held mark.
    case notModified(mark: ChangeMark?)
}
