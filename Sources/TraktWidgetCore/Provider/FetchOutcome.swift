/// A successful fetch: a new snapshot, or upstream's word that the held one is still current.
public enum FetchOutcome: Equatable, Sendable {
    /// `mark` is stored with the snapshot and handed back on the next refresh.
    case updated(WatchSnapshot, mark: ChangeMark?)
    /// Letterboxd's 304: keep the held snapshot; `mark` replaces the held mark.
    case notModified(mark: ChangeMark?)
}
