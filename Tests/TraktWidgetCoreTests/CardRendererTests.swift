import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct CardRendererTests {
    static let everyLayout: [(String, CardContent, CardOptions)] = {
        let rows = [
            CardRow(watching: CardSample.movie, startedAt: CardSample.now - 600, expiresAt: CardSample.now + 600,
                    now: CardSample.now, poster: CardSample.jpeg),
            CardSample.row(CardSample.episode, poster: CardSample.jpeg),
            CardSample.row(CardSample.movie),
        ]
        var cases: [(String, CardContent, CardOptions)] = []
        for theme in CardTheme.allCases {
            cases.append(("single \(theme)", .rows([rows[1]]), CardOptions(theme: theme)))
            cases.append(("watching \(theme)", .rows([rows[0]]), CardOptions(theme: theme)))
            cases.append(("list \(theme)", .rows(rows), CardOptions(theme: theme, limit: 5)))
            cases.append(("empty \(theme)", .empty, CardOptions(theme: theme)))
            cases.append(("unavailable \(theme)", .unavailable, CardOptions(theme: theme)))
        }
        return cases
    }()

    @Test func everyThemeAndLayoutIsWellFormedXML() throws {
        for (name, content, options) in Self.everyLayout {
            let svg = String(decoding: CardRenderer.render(content, options: options), as: UTF8.self)
            do {
                try XMLCheck.wellFormed(svg)
            } catch {
                Issue.record("\(name): \(error)")
            }
            #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" width="420""#), "\(name)")
            #expect(svg.contains(#"role="img""#) && svg.contains("<title id=\"t\">") && svg.contains("<desc id=\"d\">"))
        }
    }

    @Test func autoThemeFollowsPrefersColorSchemeAndFixedThemesDoNot() {
        let row = CardSample.row(CardSample.movie)
        #expect(CardSample.svg([row], CardOptions(theme: .auto)).contains("@media (prefers-color-scheme:dark)"))
        #expect(!CardSample.svg([row], CardOptions(theme: .light)).contains("prefers-color-scheme"))
        #expect(CardSample.svg([row], CardOptions(theme: .dark)).contains(".b{fill:#0d1117"))
        #expect(CardSample.svg([row], CardOptions(theme: .light)).contains(".b{fill:#ffffff"))
    }

    @Test func titleAndDescriptionSayWhatIsShown() {
        let svg = CardSample.svg([CardSample.row(CardSample.episode)])
        #expect(svg.contains("<title id=\"t\">Last watched: Severance S2E7, 3 hours ago</title>"))
        #expect(svg.contains("<desc id=\"d\">Severance S2E7 · Chikhai Bardo, 2022, 3 hours ago</desc>"))
        #expect(CardSample.texts(svg) == ["Last watched · 3 hours ago", "Severance", "S2E7 · Chikhai Bardo · 2022"])
    }

    @Test func watchingShowsProgressAsOfRendering() {
        let row = CardRow(watching: CardSample.movie, startedAt: CardSample.now - 2700, expiresAt: CardSample.now + 4050,
                          now: CardSample.now, poster: nil)
        let svg = CardSample.svg([row], CardOptions(width: 400))
        #expect(svg.contains("<title id=\"t\">Watching now: Super 8</title>"))
        #expect(svg.contains("watching now, 40% through"))
        // Text column: 400 − 16 − 64 − 14 − 16 = 290 px; 40% of it is filled.
        #expect(svg.contains(#"<rect class="k" x="94" y="96" width="290" height="6" rx="3"/>"#))
        #expect(svg.contains(#"<rect class="a" x="94" y="96" width="116" height="6" rx="3"/>"#))
        let hidden = CardSample.svg([row], CardOptions(width: 400, hidden: [.progress]))
        #expect(!hidden.contains(#"class="k""#) && hidden.contains("watching now</desc>"))
    }

    @Test func escapesTheFiveEntitiesAndDropsForbiddenControls() throws {
        let nasty = "Tom & Jerry <\"Live\"> 'n'\u{0}\u{1}\u{B}\u{1F}\u{FFFE}\u{FFFF} end\t"
        let svg = CardSample.svg([CardSample.row(CardSample.movie(titled: nasty))], CardOptions(width: 600))
        try XMLCheck.wellFormed(svg)
        #expect(svg.contains("Tom &amp; Jerry &lt;&quot;Live&quot;&gt; &apos;n&apos; end"))
        for forbidden in ["\u{0}", "\u{1}", "\u{B}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
            #expect(!svg.unicodeScalars.contains(forbidden.unicodeScalars.first!))
        }
    }

    @Test func posterIsADataURIAndAMissingOneIsAPlaceholder() {
        let with = CardSample.svg([CardSample.row(CardSample.movie, poster: CardSample.jpeg)])
        #expect(with.contains(#"<image href="data:image/jpeg;base64,/9j/4EFB"#))
        #expect(with.contains(#"clip-path="url(#c0)""#))
        let without = CardSample.svg([CardSample.row(CardSample.movie)])
        #expect(!without.contains("<image") && without.contains(#"<rect class="p""#) && without.contains(#"<path class="q""#))
        let hidden = CardSample.svg([CardSample.row(CardSample.movie, poster: CardSample.jpeg)], CardOptions(hidden: [.poster]))
        #expect(!hidden.contains("<image") && !hidden.contains(#"class="p""#))
        #expect(CardSample.texts(hidden)[1] == "Super 8")
    }

    @Test func postersBeyondTheSizeBudgetBecomePlaceholders() {
        let big = PosterImage(bytes: [0xFF, 0xD8, 0xFF] + Array(repeating: 0x42, count: 20_000))!
        let rows = (0..<5).map { _ in CardSample.row(CardSample.movie, poster: big) }
        let bytes = CardRenderer.render(.rows(rows), options: CardOptions(limit: 5))
        #expect(bytes.count < CardRenderer.maximumBytes)
        let svg = String(decoding: bytes, as: UTF8.self)
        #expect(svg.components(separatedBy: "<image ").count - 1 == 1)
        #expect(svg.components(separatedBy: #"<rect class="p""#).count - 1 == 4)
    }

    @Test func yearCanBeHidden() {
        let svg = CardSample.svg([CardSample.row(CardSample.movie)], CardOptions(hidden: [.year]))
        #expect(!svg.contains("2011"))
        #expect(CardSample.svg([CardSample.row(CardSample.movie)]).contains(">2011</text>"))
    }

    @Test(arguments: [280, 360, 420, 500, 600])
    func longTitlesAreTruncatedToEachWidth(_ width: Int) throws {
        let title = String(repeating: "The Lord of the Rings ", count: 8)
        let svg = CardSample.svg([CardSample.row(CardSample.movie(titled: title))], CardOptions(width: width))
        let shown = CardSample.texts(svg)[1]
        #expect(shown.hasSuffix("…"))
        let room = Double(width - 16 - 64 - 14 - 16) / (17 * 0.56)
        #expect(DisplayWidth.units(of: shown) <= room)
        #expect(DisplayWidth.units(of: shown) > room - 3, "uses the room it has")
        #expect(svg.contains(#"width="\#(width)""#))
    }

    @Test func wideTitlesGetAboutHalfAsManyCharacters() {
        let latin = CardSample.texts(CardSample.svg([CardSample.row(CardSample.movie(titled: String(repeating: "abcdeghknp", count: 10)))]))[1]
        let cjk = CardSample.texts(CardSample.svg([CardSample.row(CardSample.movie(titled: String(repeating: "千と千尋の神隠し", count: 10)))]))[1]
        #expect(cjk.count - 1 == (latin.count - 1) / 2)
    }

    @Test func emojiTitlesAreCutBetweenGraphemeClusters() throws {
        let family = "👨‍👩‍👧‍👦"
        let title = String(repeating: family + "🇯🇵" + "é", count: 30)  // é as e + U+0301
            .replacing("é", with: "e\u{301}")
        let shown = CardSample.texts(CardSample.svg([CardSample.row(CardSample.movie(titled: title))]))[1]
        #expect(shown.hasSuffix("…"))
        let body = shown.dropLast()
        #expect(title.hasPrefix(body))
        #expect(body.allSatisfy { [Character(family), "🇯🇵", Character("e\u{301}")].contains($0) })
    }

    @Test func rightToLeftTitlesAreLaidOutRightToLeft() {
        let svg = CardSample.svg([CardSample.row(CardSample.movie(titled: "שלום עולם"))], CardOptions(width: 400))
        #expect(svg.contains(#"x="384" y="54" font-size="17" font-weight="700" direction="rtl""#))
        let arabic = CardSample.svg([CardSample.row(CardSample.movie(titled: "12 \u{627}\u{644}\u{641}\u{64A}\u{644}"))])
        #expect(arabic.contains(#"direction="rtl""#))
        #expect(!CardSample.svg([CardSample.row(CardSample.movie)]).contains("rtl"))
    }

    @Test func listShowsUpToLimitRowsNewestFirst() {
        let rows = (1...5).map { CardSample.row(CardSample.movie(titled: "Film \($0)")) }
        let svg = CardSample.svg(rows, CardOptions(limit: 3))
        let titles = CardSample.texts(svg).filter { $0.hasPrefix("Film") }
        #expect(titles == ["Film 1", "Film 2", "Film 3"])
        #expect(svg.contains(#"height="258""#))  // 16·2 + 26 heading + 3·60 rows + 2·10 gaps
        #expect(svg.contains("<desc id=\"d\">Recently watched: Film 1, 2011, 3 hours ago; Film 2"))
    }

    @Test func emptyAndErrorCardsShowNoDetail() throws {
        for (content, words) in [(CardContent.empty, "No recent activity"), (.unavailable, "Temporarily unavailable")] {
            let svg = String(decoding: CardRenderer.render(content, options: CardOptions()), as: UTF8.self)
            try XMLCheck.wellFormed(svg)
            #expect(svg.contains("<title id=\"t\">\(words)</title>"))
            #expect(CardSample.texts(svg).first == words)
        }
        #expect(CardRenderer.render(.rows([]), options: CardOptions()) == CardRenderer.render(.empty, options: CardOptions()))
    }

    @Test func radiusAndSystemFontsAreUsed() {
        let svg = CardSample.svg([CardSample.row(CardSample.movie)], CardOptions(radius: 0))
        #expect(svg.contains(#"rx="0" stroke-width="1""#))
        #expect(svg.contains("text{font-family:-apple-system,BlinkMacSystemFont,"))
        #expect(!svg.contains("@font-face") && !svg.contains("http://") || svg.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    }

    @Test func renderingIsDeterministic() {
        let rows = [CardSample.row(CardSample.episode, poster: CardSample.jpeg)]
        #expect(CardRenderer.render(.rows(rows), options: CardOptions()) == CardRenderer.render(.rows(rows), options: CardOptions()))
    }
}

@Suite struct CardRowTests {
    @Test func dayPrecisionSaysDays() {
        var item = CardSample.movie
        item.watchedAt = "2026-11-29"
        item.precision = .day
        #expect(CardRow(item: item, now: CardSample.now, poster: nil).status == .watched(ago: "yesterday"))
    }

    @Test func watchingNowFromTheSnapshot() {
        let watching = WatchingNow(
            item: CardSample.episode, startedAt: "2026-11-30T17:45:00.000Z", expiresAt: "2026-11-30T18:15:00.000Z",
            action: .scrobble
        )
        let row = CardRow(watching: watching, now: CardSample.now, poster: nil)
        #expect(row.status == .watching(progress: 0.5))
        #expect(row.spokenName == "Severance S2E7")
    }
}
