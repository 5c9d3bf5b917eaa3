/// The answer to a provider's cheap "has anything changed?" question.
public enum ChangeCheck: Equatable, Sendable {
    /// Nothing moved since the held mark: keep the held snapshot, fetch nothing more.
    case unchanged
    /// Something may have moved: fetch. `mark` is what upstream said now, for `FetchContext.checked`.
    /// Providers without a cheap check answer `.changed(mark: nil)` without any I/O.
    case changed(mark: ChangeMark?)
}
