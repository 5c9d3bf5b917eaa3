import FoundationEssentials

/// The body of `/sync/all-items`: `{shows:[…], anime:[…], movies:[…]}`, any bucket missing or null.
public struct SimklLibrary: Decodable, Equatable, Sendable {
    public enum Bucket: String, Sendable, CaseIterable {
        case shows
        case anime
        case movies
    }

    public var shows: [SimklEntry]
    public var anime: [SimklEntry]
    public var movies: [SimklEntry]

    public init(shows: [SimklEntry] = [], anime: [SimklEntry] = [], movies: [SimklEntry] = []) {
        self.shows = shows
        self.anime = anime
        self.movies = movies
    }

    private enum CodingKeys: String, CodingKey { case shows, anime, movies }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        shows = try container.decodeIfPresent([SimklEntry].self, forKey: .shows) ?? []
        anime = try container.decodeIfPresent([SimklEntry].self, forKey: .anime) ?? []
        movies = try container.decodeIfPresent([SimklEntry].self, forKey: .movies) ?? []
    }

    /// Simkl answers an empty library (or an empty delta) with an empty body, `null` or `{}`; all
    /// three are an empty library. Anything else that is not the documented object is nil (malformed).
    public static func parse(_ body: [UInt8]) -> SimklLibrary? {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        let text = body.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        if text.isEmpty || text.elementsEqual("null".utf8) { return SimklLibrary() }
        return try? JSONDecoder().decode(SimklLibrary.self, from: Data(body))
    }

    public func entries(in bucket: Bucket) -> [SimklEntry] {
        switch bucket {
        case .shows: shows
        case .anime: anime
        case .movies: movies
        }
    }
}
