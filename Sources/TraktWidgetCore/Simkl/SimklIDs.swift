/// The `ids` of a Simkl media object. `tmdb` comes as a string in some answers and an integer in
/// others, so both are read; every field may be missing.
public struct SimklIDs: Decodable, Equatable, Sendable {
    public var simkl: Int?
    public var slug: String?
    public var tmdb: Int?

    public init(simkl: Int? = nil, slug: String? = nil, tmdb: Int? = nil) {
        self.simkl = simkl
        self.slug = slug
        self.tmdb = tmdb
    }

    private enum CodingKeys: String, CodingKey { case simkl, slug, tmdb }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        simkl = Self.integer(container, .simkl)
        slug = try? container.decodeIfPresent(String.self, forKey: .slug)
        tmdb = Self.integer(container, .tmdb)
    }

    private static func integer(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int? {
        if let value = try? container.decodeIfPresent(Int.self, forKey: key) { return value }
        guard let text = try? container.decodeIfPresent(String.self, forKey: key) else { return nil }
        return Int(text)
    }
}
