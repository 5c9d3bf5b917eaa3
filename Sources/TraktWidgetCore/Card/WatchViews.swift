import Synchronization

/// Every pre-built answer derived from one cached result: the history lists and the card variants.
///
/// Built at refresh time. The card variants are kept in a bounded least-recently-used set; a new
/// result re-renders the variants the previous one held, so a request for a known variant never
/// renders. An unknown variant is rendered once, on its first request, and kept.
public final class WatchViews: Sendable {
    /// How many card variants stay rendered.
    public static let cardVariants = 32

    public let result: CachedResult
    /// `history[n - 1]` is the body for `limit=n`.
    public let history: [RenderedBody]
    private let posters: [String: PosterImage]
    private let sources: CardPosters
    private let renderedAt: Double
    private let cards: Mutex<LRUCache<CardOptions, RenderedBody>>

    public init(result: CachedResult, posters: [String: PosterImage], sources: CardPosters, now: Double, previous: WatchViews? = nil) {
        self.result = result
        self.posters = posters
        self.sources = sources
        self.renderedAt = now
        let recent = result.snapshot.recent
        history = HistoryBody.limits.map { limit in
            RenderedBody(body: HistoryBody.encode(items: recent.prefix(limit), provider: result.provider,
                                                  cachedAt: result.fetchedAt, stale: result.stale), freshness: .result)
        }
        cards = Mutex(LRUCache(capacity: Self.cardVariants))
        for options in previous?.cardVariants ?? [] {
            _ = card(options)
        }
    }

    /// The history body for `limit` (validated by the caller to 1…10).
    public func history(limit: Int) -> RenderedBody {
        history[min(max(limit, 1), history.count) - 1]
    }

    public func card(_ options: CardOptions) -> RenderedBody {
        if let hit = cards.withLock({ $0.value(for: options) }) { return hit }
        let rendered = render(options)
        cards.withLock { _ = $0.set(rendered, for: options) }
        return rendered
    }

    /// The variants held, least recently used first.
    public var cardVariants: [CardOptions] {
        cards.withLock { $0.keys }
    }

    private func render(_ options: CardOptions) -> RenderedBody {
        let content = CardContent(snapshot: result.snapshot, limit: options.limit, posters: posters, sources: sources, now: renderedAt)
        let freshness: RenderedBody.Freshness = content == .empty ? .message : .result
        return RenderedBody(body: CardRenderer.render(content, options: options), freshness: freshness)
    }
}
