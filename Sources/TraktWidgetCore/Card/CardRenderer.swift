/// Renders a card as a self-contained SVG document: system fonts, inline styles, posters as `data:`
/// URIs, no scripts, nothing loaded from the network, since GitHub shows it through `<img>` behind camo.
/// Pure and deterministic: the same content and options give the same bytes.
public enum CardRenderer {
    /// The whole card stays under this, poster included.
    public static let maximumBytes = 48 * 1024
    /// Room for inlined posters; a poster that would pass it becomes the placeholder.
    static let posterBudget = 40 * 1024
    static let padding = 16
    static let fontStack = #"-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji""#
    /// A unit of `DisplayWidth` is about this fraction of the font size.
    static let unitEm = 0.56

    public static func render(_ content: CardContent, options: CardOptions) -> [UInt8] {
        var svg: SVGText
        switch content {
        case .rows(let rows) where !rows.isEmpty:
            let shown = Array(rows.prefix(options.limit))
            svg = shown.count == 1 && options.limit == 1
                ? single(shown[0], options: options)
                : list(shown, options: options)
        case .rows, .empty:
            svg = message("No recent activity", detail: "Nothing watched yet", options: options)
        case .unavailable:
            svg = message("Temporarily unavailable", detail: "Trying again shortly", options: options)
        }
        return Array(svg.finish().utf8)
    }

    // MARK: Layouts

    /// One item, large poster: status line, title, episode line and year, progress bar.
    private static func single(_ row: CardRow, options: CardOptions) -> SVGText {
        let posterWidth = 64, posterHeight = 96
        let height = padding * 2 + posterHeight
        var svg = SVGText(options: options, height: height, title: headline(row, options: options), description: sentence(row, options: options))
        var budget = posterBudget
        var textX = padding
        if !options.hides(.poster) {
            svg.poster(row.poster, id: 0, x: padding, y: padding, width: posterWidth, height: posterHeight, budget: &budget)
            textX += posterWidth + 14
        }
        let room = options.width - textX - padding
        let top = padding
        switch row.status {
        case .watching:
            svg.text("Watching now", x: textX, y: top + 13, size: 12, weight: 600, className: "a", room: room)
        case .watched(let ago):
            svg.text("Last watched · \(ago)", x: textX, y: top + 13, size: 12, weight: 400, className: "m", room: room)
        }
        svg.text(row.title, x: textX, y: top + 38, size: 17, weight: 700, className: "t", room: room)
        let details = [row.episodeLine, options.hides(.year) ? nil : row.year.map(String.init)].compactMap { $0 }
        if !details.isEmpty {
            svg.text(details.joined(separator: " · "), x: textX, y: top + 60, size: 13, weight: 400, className: "m", room: room)
        }
        if case .watching(let progress) = row.status, !options.hides(.progress) {
            svg.progressBar(progress, x: textX, y: top + 80, width: room, height: 6)
        }
        return svg
    }

    /// Several items, small posters, one "Recently watched" heading.
    private static func list(_ rows: [CardRow], options: CardOptions) -> SVGText {
        let posterWidth = 40, rowHeight = 60, gap = 10, headingHeight = 26
        let height = padding * 2 + headingHeight + rows.count * rowHeight + (rows.count - 1) * gap
        var svg = SVGText(
            options: options, height: height, title: headline(rows[0], options: options),
            description: "Recently watched: " + rows.map { sentence($0, options: options) }.joined(separator: "; ")
        )
        svg.text("Recently watched", x: padding, y: padding + 12, size: 12, weight: 600, className: "m", room: options.width - 2 * padding)
        var budget = posterBudget
        for (index, row) in rows.enumerated() {
            let y = padding + headingHeight + index * (rowHeight + gap)
            var textX = padding
            if !options.hides(.poster) {
                svg.poster(row.poster, id: index, x: padding, y: y, width: posterWidth, height: rowHeight, budget: &budget)
                textX += posterWidth + 12
            }
            let room = options.width - textX - padding
            svg.text(row.title, x: textX, y: y + 18, size: 14, weight: 700, className: "t", room: room)
            var tail = options.hides(.year) ? [] : row.year.map { [String($0)] } ?? []
            switch row.status {
            case .watching: tail.append("watching now")
            case .watched(let ago): tail.append(ago)
            }
            svg.detailLine(lead: row.episodeLine, tail: tail.joined(separator: " · "), x: textX, y: y + 38, size: 12, room: room)
            if case .watching(let progress) = row.status, !options.hides(.progress) {
                svg.progressBar(progress, x: textX, y: y + 48, width: room, height: 4)
            }
        }
        return svg
    }

    /// The empty and error cards: a placeholder and two lines, nothing else.
    private static func message(_ title: String, detail: String, options: CardOptions) -> SVGText {
        let height = padding * 2 + 48
        var svg = SVGText(options: options, height: height, title: title, description: "\(title). \(detail).")
        var budget = 0
        svg.poster(nil, id: 0, x: padding, y: padding, width: 32, height: 48, budget: &budget)
        let x = padding + 32 + 14
        svg.text(title, x: x, y: padding + 21, size: 15, weight: 700, className: "t", room: options.width - x - padding)
        svg.text(detail, x: x, y: padding + 41, size: 12, weight: 400, className: "m", room: options.width - x - padding)
        return svg
    }

    // MARK: Words for screen readers

    /// The `<title>`: "Last watched: Severance S2E7, 3 hours ago" or "Watching now: Super 8".
    static func headline(_ row: CardRow, options: CardOptions) -> String {
        switch row.status {
        case .watching: "Watching now: \(row.spokenName)"
        case .watched(let ago): "Last watched: \(row.spokenName), \(ago)"
        }
    }

    /// One row as the sighted visitor reads it, for `<desc>`.
    static func sentence(_ row: CardRow, options: CardOptions) -> String {
        var parts = [row.episodeLine.map { "\(row.title) \($0)" } ?? row.title]
        if !options.hides(.year), let year = row.year { parts.append(String(year)) }
        switch row.status {
        case .watching(let progress):
            parts.append(options.hides(.progress) ? "watching now" : "watching now, \(Int(progress * 100))% through")
        case .watched(let ago):
            parts.append(ago)
        }
        return parts.joined(separator: ", ")
    }
}
