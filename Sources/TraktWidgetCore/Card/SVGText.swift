/// The SVG document under construction: the frame, then elements appended in paint order.
struct SVGText {
    private var head: String
    private var defs = ""
    private var body = ""

    init(options: CardOptions, height: Int, title: String, description: String) {
        let width = options.width
        head = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" role="img" aria-labelledby="t d">"#
            + "<title id=\"t\">\(XMLText.escape(title))</title><desc id=\"d\">\(XMLText.escape(description))</desc>"
            + "<style>text{font-family:\(CardRenderer.fontStack)}\(options.theme.styleRules)</style>"
        body = #"<rect class="b" x="0.5" y="0.5" width="\#(width - 1)" height="\#(height - 1)" rx="\#(options.radius)" stroke-width="1"/>"#
    }

    func finish() -> String {
        head + (defs.isEmpty ? "" : "<defs>\(defs)</defs>") + body + "</svg>"
    }

    /// One line, shortened to `room` pixels; right-to-left text is anchored at the right edge.
    mutating func text(_ content: String, x: Int, y: Int, size: Int, weight: Int, className: String, room: Int) {
        let clean = XMLText.dropForbidden(content)
        let fitted = DisplayWidth.truncate(clean, toUnits: Self.units(room, size: size))
        body += textElement(XMLText.escape(fitted), direction: TextDirection(of: clean), x: x, y: y, size: size, weight: weight, className: className, room: room)
    }

    /// `lead · tail` where only `lead` is shortened, so "3 hours ago" always survives.
    mutating func detailLine(lead: String?, tail: String, x: Int, y: Int, size: Int, room: Int) {
        guard let lead else { return text(tail, x: x, y: y, size: size, weight: 400, className: "m", room: room) }
        let suffix = tail.isEmpty ? "" : " · " + tail
        let leadRoom = Self.units(room, size: size) - DisplayWidth.units(of: suffix)
        let clean = XMLText.dropForbidden(lead)
        let fitted = leadRoom >= 2 ? DisplayWidth.truncate(clean, toUnits: leadRoom) : String(DisplayWidth.ellipsis)
        text(fitted + suffix, x: x, y: y, size: size, weight: 400, className: "m", room: room)
    }

    private func textElement(_ escaped: String, direction: TextDirection, x: Int, y: Int, size: Int, weight: Int, className: String, room: Int) -> String {
        let weightAttribute = weight == 400 ? "" : #" font-weight="\#(weight)""#
        switch direction {
        case .leftToRight:
            return #"<text class="\#(className)" x="\#(x)" y="\#(y)" font-size="\#(size)"\#(weightAttribute)>\#(escaped)</text>"#
        case .rightToLeft:
            return #"<text class="\#(className)" x="\#(x + room)" y="\#(y)" font-size="\#(size)"\#(weightAttribute) direction="rtl" unicode-bidi="embed" text-anchor="start">\#(escaped)</text>"#
        }
    }

    /// The poster clipped to rounded corners, or the placeholder when there is none or it would pass
    /// the size budget.
    mutating func poster(_ image: PosterImage?, id: Int, x: Int, y: Int, width: Int, height: Int, budget: inout Int) {
        let frame = #"x="\#(x)" y="\#(y)" width="\#(width)" height="\#(height)""#
        if let image, image.base64.utf8.count + 32 <= budget {
            budget -= image.base64.utf8.count + 32
            defs += #"<clipPath id="c\#(id)"><rect \#(frame) rx="4"/></clipPath>"#
            body += #"<image href="\#(image.dataURI)" \#(frame) preserveAspectRatio="xMidYMid slice" clip-path="url(#c\#(id))"/>"#
            return
        }
        body += #"<rect class="p" \#(frame) rx="4"/>"#
        // A play mark in the middle: the frame reads as "a picture goes here", not as a fault.
        let side = max(8, width * 3 / 10)
        let cx = x + width / 2, cy = y + height / 2
        body += #"<path class="q" d="M\#(cx - side / 2) \#(cy - side * 3 / 5)L\#(cx + side * 3 / 5) \#(cy)L\#(cx - side / 2) \#(cy + side * 3 / 5)Z"/>"#
    }

    mutating func progressBar(_ progress: Double, x: Int, y: Int, width: Int, height: Int) {
        let filled = Int((Double(width) * min(1, max(0, progress))).rounded())
        let corner = height / 2
        body += #"<rect class="k" x="\#(x)" y="\#(y)" width="\#(width)" height="\#(height)" rx="\#(corner)"/>"#
        if filled > 0 {
            body += #"<rect class="a" x="\#(x)" y="\#(y)" width="\#(filled)" height="\#(height)" rx="\#(corner)"/>"#
        }
    }

    static func units(_ pixels: Int, size: Int) -> Double {
        Double(pixels) / (Double(size) * CardRenderer.unitEm)
    }
}
