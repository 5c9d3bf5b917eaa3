/// The `ids` object of a Trakt movie, show or episode. Every field may be null or missing.
public struct TraktIDs: Codable, Equatable, Sendable {
    public var trakt: Int?
    public var slug: String?
    public var imdb: String?
    public var tmdb: Int?

    public init(trakt: Int? = nil, slug: String? = nil, imdb: String? = nil, tmdb: Int? = nil) {
        self.trakt = trakt
        self.slug = slug
        self.imdb = imdb
        self.tmdb = tmdb
    }

    private enum CodingKeys: String, CodingKey { case trakt, slug, imdb, tmdb }

    // Lenient: a field of an unexpected type is treated as missing rather than failing the whole item.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trakt = try? container.decodeIfPresent(Int.self, forKey: .trakt)
        slug = try? container.decodeIfPresent(String.self, forKey: .slug)
        imdb = try? container.decodeIfPresent(String.self, forKey: .imdb)
        tmdb = try? container.decodeIfPresent(Int.self, forKey: .tmdb)
    }
}
