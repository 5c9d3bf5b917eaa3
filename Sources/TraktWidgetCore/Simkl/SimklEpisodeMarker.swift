/// Simkl's `last_watched` marker: `S01E05` gives season and episode; `E148` (anime's absolute
/// numbering) gives the episode with no season. Anything else gives neither.
public struct SimklEpisodeMarker: Equatable, Sendable {
    public var season: Int?
    public var episode: Int?

    public init(season: Int?, episode: Int?) {
        self.season = season
        self.episode = episode
    }

    public static func parse(_ marker: String?) -> SimklEpisodeMarker? {
        guard let marker else { return nil }
        var rest = Substring(marker.uppercased())
        var season: Int?
        if rest.first == "S" {
            rest = rest.dropFirst()
            guard let number = leadingNumber(&rest) else { return nil }
            season = number
        }
        guard rest.first == "E" else { return nil }
        rest = rest.dropFirst()
        guard let episode = leadingNumber(&rest), rest.isEmpty else { return nil }
        return SimklEpisodeMarker(season: season, episode: episode)
    }

    private static func leadingNumber(_ text: inout Substring) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        text = text.dropFirst(digits.count)
        return Int(digits)
    }
}
