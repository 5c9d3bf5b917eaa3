/// One source of watch history. Implementations live in the shell (they do I/O, blocking, on the
/// refresh thread); the engine, cache, stores and HTTP layer only see this protocol.
public protocol WatchProvider: Sendable {
    var kind: ProviderKind { get }
    var requirement: ProviderRequirement { get }

    /// The cheap "has anything changed since `mark`?" where upstream allows one (Trakt's
    /// `last_activities`, Simkl's `/sync/activities`). A nil `mark` means nothing is held.
    func changeCheck(since mark: ChangeMark?) -> Result<ChangeCheck, ProviderFailure>

    /// The full fetch, posters included.
    func fetch(_ context: FetchContext) -> Result<FetchOutcome, ProviderFailure>
}
