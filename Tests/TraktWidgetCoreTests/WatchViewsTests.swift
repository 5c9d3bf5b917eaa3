import Testing
import TraktWidgetCore

@Suite struct WatchViewsTests {
    static let images = ImageSettings(baseURL: "https://img.example/t/p", posterSize: "w500")
    static let now = CardSample.now

    static func item(_ n: Int, poster: Bool = true) -> WatchedItem {
        WatchedItem(kind: .movie, title: "Film \(n)", year: 2000 + n,
                    posterURL: poster ? "https://img.example/t/p/w500/f\(n).jpg" : nil,
                    url: nil, watchedAt: Timestamp.format(now - Double(n) * 3600))
    }

    static func result(_ snapshot: WatchSnapshot, stale: Bool = false) -> CachedResult {
        CachedResult(provider: .trakt, snapshot: snapshot, fetchedAt: now - 60, verifiedAt: now - 60, stale: stale,
                     posterRetry: nil, mark: nil)
    }

    static func views(_ snapshot: WatchSnapshot, posters: [String: PosterImage] = [:], previous: WatchViews? = nil) -> WatchViews {
        WatchViews(result: result(snapshot), posters: posters, sources: CardPosters(images: images), now: now, previous: previous)
    }

    @Test func posterURLsAtCardSizesOnlyFromTheImageBase() {
        #expect(Self.images.resized("https://img.example/t/p/w500/f1.jpg", to: "w154") == "https://img.example/t/p/w154/f1.jpg")
        #expect(Self.images.resized("https://elsewhere.example/t/p/w500/f1.jpg", to: "w154") == nil)
        #expect(Self.images.resized("https://img.example/t/p/w500/", to: "w154") == nil)
        #expect(Self.images.resized(nil, to: "w154") == nil)
        let sources = CardPosters(images: Self.images)
        let snapshot = WatchSnapshot(recent: (1...7).map { Self.item($0) })
        #expect(sources.urls(for: snapshot) == ["https://img.example/t/p/w154/f1.jpg"]
            + (1...5).map { "https://img.example/t/p/w92/f\($0).jpg" })
    }

    @Test func historyBodiesForEveryLimit() {
        let views = Self.views(WatchSnapshot(recent: (1...10).map { Self.item($0) }))
        for limit in HistoryBody.limits {
            let text = String(decoding: views.history(limit: limit).body, as: UTF8.self)
            #expect(text.components(separatedBy: #""type":"movie""#).count - 1 == limit)
        }
        #expect(String(decoding: views.history(limit: 1).body, as: UTF8.self).contains("Film 1"))
    }

    @Test func theCardEmbedsTheFetchedPosterAtItsSize() {
        let posters = ["https://img.example/t/p/w154/f1.jpg": CardSample.jpeg]
        let views = Self.views(WatchSnapshot(recent: [Self.item(1)]), posters: posters)
        let single = String(decoding: views.card(CardOptions()).body, as: UTF8.self)
        #expect(single.contains("data:image/jpeg;base64,"))
        let list = String(decoding: views.card(CardOptions(limit: 3)).body, as: UTF8.self)
        #expect(!list.contains("data:image/jpeg"), "list rows use w92, which was not fetched")
    }

    @Test func watchingComesFirstUntilItExpires() {
        let playing = WatchingNow(item: Self.item(0), startedAt: Timestamp.format(Self.now - 600),
                                  expiresAt: Timestamp.format(Self.now + 600), action: .checkin)
        let live = Self.views(WatchSnapshot(recent: [Self.item(1)], watching: playing))
        #expect(String(decoding: live.card(CardOptions()).body, as: UTF8.self).contains("Watching now: Film 0"))
        var ended = playing
        ended.expiresAt = Timestamp.format(Self.now - 1)
        let over = Self.views(WatchSnapshot(recent: [Self.item(1)], watching: ended))
        #expect(String(decoding: over.card(CardOptions()).body, as: UTF8.self).contains("Last watched: Film 1"))
    }

    @Test func anEmptySnapshotIsAShortLivedMessageCard() {
        let card = Self.views(.empty).card(CardOptions())
        #expect(card.freshness == .message)
        #expect(String(decoding: card.body, as: UTF8.self).contains("No recent activity"))
        #expect(Self.views(WatchSnapshot(recent: [Self.item(1)])).card(CardOptions()).freshness == .result)
    }

    @Test func aHitIsTheSameBytesAndANewResultReRendersTheHeldVariants() {
        let first = Self.views(WatchSnapshot(recent: [Self.item(1)]))
        let options = [CardOptions(theme: .dark), CardOptions(width: 600, limit: 3)]
        let bodies = options.map { first.card($0).body }
        #expect(options.map { first.card($0).body } == bodies)
        let second = Self.views(WatchSnapshot(recent: [Self.item(2)]), previous: first)
        #expect(Set(second.cardVariants) == Set(options))
        #expect(String(decoding: second.card(options[0]).body, as: UTF8.self).contains("Film 2"))
    }

    @Test func variantsAreBounded() {
        let views = Self.views(WatchSnapshot(recent: [Self.item(1)]))
        for width in 280..<(280 + WatchViews.cardVariants + 8) {
            _ = views.card(CardOptions(width: width))
        }
        #expect(views.cardVariants.count == WatchViews.cardVariants)
        #expect(views.cardVariants.first == CardOptions(width: 288), "the oldest eight were dropped")
    }
}

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.set(1, for: "a")
        cache.set(2, for: "b")
        #expect(cache.value(for: "a") == 1)
        cache.set(3, for: "c")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.keys == ["a", "c"])
        cache.set(4, for: "a")
        #expect(cache.keys == ["c", "a"] && cache.value(for: "a") == 4)
    }
}
