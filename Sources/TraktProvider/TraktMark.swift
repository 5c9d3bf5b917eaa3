import FoundationEssentials
import TraktWidgetCore

/// What the Trakt provider keeps in its `ChangeMark` between refreshes: the `last_activities` marks
/// the result reflects (absent when unknown, which forces a history fetch), and the newest item of
/// each history, so a refresh where one side fails keeps that side's last good item.
struct TraktMark: Equatable {
    var activities: TraktLastActivities?
    var sides: HistorySides?

    init(activities: TraktLastActivities?, sides: HistorySides?) {
        self.activities = activities
        self.sides = sides
    }

    init(_ mark: ChangeMark?) {
        activities = mark?["activities"].flatMap { Self.decode(TraktLastActivities.self, $0) }
        sides = mark?["sides"].flatMap { Self.decode(HistorySides.self, $0) }
    }

    var mark: ChangeMark {
        var values: [String: String] = [:]
        values["activities"] = activities.flatMap(Self.encode)
        values["sides"] = sides.flatMap(Self.encode)
        return ChangeMark(values)
    }

    private static func encode<T: Encodable>(_ value: T) -> String? {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
