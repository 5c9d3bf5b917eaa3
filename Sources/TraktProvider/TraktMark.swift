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

    init(activities: TraktLastActivities?, playing: Playing? = nil) {
        self.activities = activities
        self.playing = playing
    }

    init(_ mark: ChangeMark?) {
        activities = mark?["activities"].flatMap { Self.decode(TraktLastActivities.self, $0) }
        playing = mark?["playing"].flatMap { Self.decode(Playing.self, $0) }
    }

    var mark: ChangeMark {
        var values: [String: String] = [:]
        values["activities"] = activities.flatMap(Self.encode)
        values["playing"] = playing.flatMap(Self.encode)
        return ChangeMark(values)
    }

    private static func encode<T: Encodable>(_ value: T) -> String? {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
