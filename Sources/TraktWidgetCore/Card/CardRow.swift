/// One line of the card, in words: what is shown, already worked out from an item and the clock.
public struct CardRow: Equatable, Sendable {
    public enum Status: Equatable, Sendable {
        /// Playing now; `progress` is 0…1 as of rendering.
        case watching(progress: Double)
        case watched(ago: String)
    }

    /// The movie title, or the show title for an episode.
    public var title: String
    /// For an episode `S2E7` and its own title; nil for a movie.
    public var episodeLine: String?
    public var year: Int?
    public var status: Status
    public var poster: PosterImage?
    /// How the item is named to a screen reader: "Severance S2E7", "Super 8".
    public var spokenName: String

    public init(title: String, episodeLine: String?, year: Int?, status: Status, poster: PosterImage?, spokenName: String) {
        self.title = title
        self.episodeLine = episodeLine
        self.year = year
        self.status = status
        self.poster = poster
        self.spokenName = spokenName
    }

    /// A watched item, `now − watched_at` ago; in whole days when the provider only knows the day.
    public init(item: WatchedItem, now: Double, poster: PosterImage?) {
        let ago: String
        switch item.precision {
        case .instant:
            ago = RelativeTime.describe(now - (Timestamp.parse(item.watchedAt) ?? now))
        case .day:
            let midnight = Timestamp.parse(item.watchedAt + "T00:00:00Z") ?? now
            ago = RelativeTime.describeDays(Int(saturating: (now - midnight) / 86_400))
        }
        self.init(item: item, status: .watched(ago: ago), poster: poster)
    }

    /// What is playing, with its progress at `now`.
    public init(watching: WatchingNow, now: Double, poster: PosterImage?) {
        let started = Timestamp.parse(watching.startedAt) ?? now
        self.init(watching: watching.item, startedAt: started, expiresAt: Timestamp.parse(watching.expiresAt) ?? started, now: now, poster: poster)
    }

    /// An item being watched, with its progress through `started_at…expires_at` at `now`.
    public init(watching item: WatchedItem, startedAt: Double, expiresAt: Double, now: Double, poster: PosterImage?) {
        self.init(item: item, status: .watching(progress: Self.progress(startedAt: startedAt, expiresAt: expiresAt, now: now)), poster: poster)
    }

    private init(item: WatchedItem, status: Status, poster: PosterImage?) {
        let untitled = "Untitled"
        switch item.kind {
        case .movie:
            let title = item.title.flatMap { $0.isEmpty ? nil : $0 } ?? untitled
            self.init(title: title, episodeLine: nil, year: item.year, status: status, poster: poster, spokenName: title)
        case .episode:
            let show = item.showTitle.flatMap { $0.isEmpty ? nil : $0 } ?? item.title ?? untitled
            let code = "S\(item.season.map(String.init) ?? "?")E\(item.episode.map(String.init) ?? "?")"
            // The formatter falls back to "<Show> SxEy" for an untitled episode; do not say it twice.
            let ownTitle = item.title.flatMap { $0.isEmpty || $0 == "\(show) \(code)" ? nil : $0 }
            self.init(
                title: show, episodeLine: ownTitle.map { "\(code) · \($0)" } ?? code, year: item.year,
                status: status, poster: poster, spokenName: "\(show) \(code)"
            )
        }
    }

    /// `(now − started) / (expires − started)`, clamped to 0…1; 0 for a window that makes no sense.
    public static func progress(startedAt: Double, expiresAt: Double, now: Double) -> Double {
        guard expiresAt > startedAt else { return 0 }
        return min(1, max(0, (now - startedAt) / (expiresAt - startedAt)))
    }
}
