import FoundationEssentials
import TraktWidgetCore

/// What the Trakt provider keeps in its `ChangeMark`: the `last_activities` marks the result reflects
/// (absent when unknown, which forces a history fetch), and, in a mark the change check just read, what
/// plays now (asked in the same round, so the fetch needs no second call for it).
struct TraktMark: Equatable {
    /// The playing item before its poster is looked up.
    struct Playing: Codable, Equatable {
        var watching: WatchingNow
        var tmdb: PosterReference?
    }

    var activities: TraktLastActivities?
    /// Only in a checked mark: nil when idle.
    var playing: Playing?
    /// TMDB failed for a poster: the next refresh reads the history again to ask for it.
    var posterMissing = false

    init(activities: TraktLastActivities?, playing: Playing? = nil, posterMissing: Bool = false) {
        self.activities = activities
        self.playing = playing
        self.posterMissing = posterMissing
    }

    init(_ mark: ChangeMark?) {
        activities = mark?["activities"].flatMap { Self.decode(TraktLastActivities.self, $0) }
        playing = mark?["playing"].flatMap { Self.decode(Playing.self, $0) }
        posterMissing = mark?["poster_missing"] != nil
    }

    var mark: ChangeMark {
        var values: [String: String] = [:]
        values["activities"] = activities.flatMap(Self.encode)
        values["playing"] = playing.flatMap(Self.encode)
        values["poster_missing"] = posterMissing ? "1" : nil
        return ChangeMark(values)
    }

    private static func encode<T: Encodable>(_ value: T) -> String? {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
