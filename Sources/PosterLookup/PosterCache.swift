import Synchronization
import SystemCalls
import TraktWidgetCore

/// TMDB answers by (kind, id), kept a day: posters almost never change, and "no poster" is an answer
/// too. TMDB failures are not cached, so the next refresh asks again.
public final class PosterCache: Sendable {
    public static let lifetime = 86_400.0

    private struct Entry {
        var posterPath: String?
        var expiresAt: Double
    }

    private let entries = Mutex<[PosterReference: Entry]>([:])
    private let clock: WallClock

    public init(clock: WallClock) {
        self.clock = clock
    }

    /// `.some(path)` when known (path may be nil: no poster), `.none` when TMDB must be asked.
    public func lookup(_ reference: PosterReference) -> String?? {
        let now = clock.now()
        return entries.withLock { entries in
            guard let entry = entries[reference], entry.expiresAt > now else { return .none }
            return .some(entry.posterPath)
        }
    }

    public func store(_ posterPath: String?, for reference: PosterReference) {
        let expiresAt = clock.now() + Self.lifetime
        entries.withLock { $0[reference] = Entry(posterPath: posterPath, expiresAt: expiresAt) }
    }
}
