/// The `show` or `movie` object of a Simkl library entry.
public struct SimklMedia: Decodable, Equatable, Sendable {
    public var title: String?
    /// Simkl's poster key (`83/83975f751784587`), turned into a URL by `SimklPoster`.
    public var poster: String?
    public var year: Int?
    public var ids: SimklIDs

    public init(title: String?, poster: String? = nil, year: Int?, ids: SimklIDs) {
        self.title = title
        self.poster = poster
        self.year = year
        self.ids = ids
    }

    private enum CodingKeys: String, CodingKey { case title, poster, year, ids }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try? container.decodeIfPresent(String.self, forKey: .title)
        poster = try? container.decodeIfPresent(String.self, forKey: .poster)
        year = try? container.decodeIfPresent(Int.self, forKey: .year)
        ids = (try? container.decodeIfPresent(SimklIDs.self, forKey: .ids)) ?? SimklIDs()
    }
}
