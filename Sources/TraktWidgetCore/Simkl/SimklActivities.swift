import FoundationEssentials

/// The timestamps of `/sync/activities` that say whether the library moved: each bucket's `all`.
/// `settings` is left out on purpose: a settings change is no reason to read the library.
public struct SimklActivities: Decodable, Equatable, Sendable {
    public var all: String?
    public var shows: String?
    public var anime: String?
    public var movies: String?

    public init(all: String?, shows: String?, anime: String?, movies: String?) {
        self.all = all
        self.shows = shows
        self.anime = anime
        self.movies = movies
    }

    private struct Section: Decodable {
        var all: String?
    }

    private enum CodingKeys: String, CodingKey {
        case all
        case shows = "tv_shows"
        case anime, movies
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        all = try? container.decodeIfPresent(String.self, forKey: .all)
        shows = (try? container.decodeIfPresent(Section.self, forKey: .shows))??.all
        anime = (try? container.decodeIfPresent(Section.self, forKey: .anime))??.all
        movies = (try? container.decodeIfPresent(Section.self, forKey: .movies))??.all
    }

    public static func parse(_ body: [UInt8]) -> SimklActivities? {
        try? JSONDecoder().decode(SimklActivities.self, from: Data(body))
    }

    /// Stored with the snapshot; `all` is the `date_from` of the next delta read.
    public var mark: ChangeMark {
        var values: [String: String] = [:]
        values["all"] = all
        values["shows"] = shows
        values["anime"] = anime
        values["movies"] = movies
        return ChangeMark(values)
    }

    /// Whether a watch may have happened since `held` was taken: a bucket timestamp moved.
    public static func moved(from held: ChangeMark, to now: ChangeMark) -> Bool {
        ["shows", "anime", "movies"].contains { held[$0] != now[$0] }
    }
}
