import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct HealthReportTests {
    static func report(canServe: Bool = true) -> HealthReport {
        HealthReport(
            canServe: canServe, mode: .oauth, tokenState: "valid",
            tokenExpiresAt: 1_396_258_133, tokenRotatedAt: 0,
            storeKind: "file", storeReachable: true,
            cacheAge: 12.9, cacheStale: false,
            lastSuccessAt: 1_761_654_896.5, lastErrorCode: nil
        )
    }

    @Test func fullShape() {
        #expect(String(decoding: Self.report().body, as: UTF8.self) == """
        {"ok":true,"provider":"trakt","mode":"oauth",\
        "token":{"state":"valid","expires_at":"2014-03-31T09:28:53.000Z","rotated_at":"1970-01-01T00:00:00.000Z","persisted":true},\
        "store":{"type":"file","reachable":true,"last_error_code":null},\
        "cache":{"age_s":12,"stale":false},\
        "upstream":{"last_success_at":"2025-10-28T12:34:56.500Z","last_error_code":null},\
        "last_watched":null}
        """)
    }

    @Test func unknownsAreNull() {
        let report = HealthReport(
            canServe: false, provider: .letterboxd, mode: .public, tokenState: "not_used", tokenExpiresAt: nil,
            tokenRotatedAt: nil, storeKind: "postgres", storeReachable: false, cacheAge: nil, cacheStale: true,
            lastSuccessAt: nil, lastErrorCode: "LETTERBOXD_BLOCKED", lastWatched: "watched on 2 Aug"
        )
        #expect(String(decoding: report.body, as: UTF8.self) == """
        {"ok":false,"provider":"letterboxd","mode":"public",\
        "token":{"state":"not_used","expires_at":null,"rotated_at":null,"persisted":true},\
        "store":{"type":"postgres","reachable":false,"last_error_code":null},\
        "cache":{"age_s":null,"stale":true},\
        "upstream":{"last_success_at":null,"last_error_code":"LETTERBOXD_BLOCKED"},\
        "last_watched":"watched on 2 Aug"}
        """)
    }

    @Test func statusFollowsCanServe() {
        #expect(Self.report(canServe: true).status == 200)
        #expect(Self.report(canServe: false).status == 503)
    }

    @Test func bodyIsValidJSON() throws {
        struct Shape: Decodable {
            struct Token: Decodable { var state: String; var expires_at: String?; var rotated_at: String? }
            struct Store: Decodable { var type: String; var reachable: Bool }
            struct Cache: Decodable { var age_s: Int?; var stale: Bool }
            struct Upstream: Decodable { var last_success_at: String?; var last_error_code: String? }
            var ok: Bool; var mode: String; var token: Token; var store: Store; var cache: Cache; var upstream: Upstream
        }
        let shape = try JSONDecoder().decode(Shape.self, from: Data(Self.report().body))
        #expect(shape.ok)
        #expect(shape.mode == "oauth")
        #expect(shape.cache.age_s == 12)
        #expect(shape.store.type == "file")
    }
}
