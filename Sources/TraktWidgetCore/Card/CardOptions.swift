/// The query parameters of `card.svg`, validated. Every field has a default, so the bare URL works.
public struct CardOptions: Hashable, Sendable {
    public enum Hidden: String, CaseIterable, Sendable {
        case poster
        case progress
        case year
    }

    public static let widths = 280...600
    public static let limits = 1...5
    public static let radii = 0...24

    public var theme: CardTheme = .auto
    public var width = 420
    public var limit = 1
    public var radius = 8
    public var hidden: Set<Hidden> = []

    public init(theme: CardTheme = .auto, width: Int = 420, limit: Int = 1, radius: Int = 8, hidden: Set<Hidden> = []) {
        self.theme = theme
        self.width = width
        self.limit = limit
        self.radius = radius
        self.hidden = hidden
    }

    /// Parses `theme`, `width`, `limit`, `radius` and `hide`; other parameters are ignored (READMEs add
    /// `?v=2` to bust caches). The first bad value is named in the error.
    public static func parse(_ query: QueryString) -> Result<CardOptions, APIError> {
        var options = CardOptions()
        if let theme = query["theme"] {
            guard let value = CardTheme(rawValue: theme) else {
                return .failure(.invalidParameter("theme", expected: "light, dark or auto"))
            }
            options.theme = value
        }
        do {
            options.width = try query.integer("width", in: widths, default: options.width).get()
            options.limit = try query.integer("limit", in: limits, default: options.limit).get()
            options.radius = try query.integer("radius", in: radii, default: options.radius).get()
        } catch {
            return .failure(error)
        }
        if let hide = query["hide"] {
            for name in hide.split(separator: ",", omittingEmptySubsequences: true) {
                guard let value = Hidden(rawValue: String(name)) else {
                    return .failure(.invalidParameter("hide", expected: "a comma-separated subset of poster, progress, year"))
                }
                options.hidden.insert(value)
            }
        }
        return .success(options)
    }

    public func hides(_ part: Hidden) -> Bool {
        hidden.contains(part)
    }
}
