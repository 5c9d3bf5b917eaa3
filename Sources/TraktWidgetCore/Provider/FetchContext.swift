/// What the engine holds when it asks a provider to fetch: the snapshot it serves now and its mark,
/// and the mark the change check just read. Lets Simkl ask only for deltas and Letterboxd send a
/// conditional GET.
public struct FetchContext: Sendable {
    public var held: WatchSnapshot?
    public var heldMark: ChangeMark?
    public var checked: ChangeMark?

    public init(held: WatchSnapshot? = nil, heldMark: ChangeMark? = nil, checked: ChangeMark? = nil) {
        self.held = held
        self.heldMark = heldMark
        self.checked = checked
    }
}
