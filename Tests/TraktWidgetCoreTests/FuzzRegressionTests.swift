import FoundationEssentials
import Testing
import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

/// Replays the inputs `make fuzz` found crashing (Tests/Fuzz/regressions/<target>/) through the same
/// Core code paths as the fuzz targets (Tests/Fuzz/DecoderFuzz.swift, RouterFuzz.swift). Each replay
/// runs in an exit test, so a trap fails this test instead of killing the whole test run.
@Suite struct FuzzRegressionTests {
    @Test func regressionInputsAreThere() {
        #expect(!FuzzRegressions.names("decoder").isEmpty, "Tests/Fuzz/regressions/decoder/ holds no input")
    }

    @Test(arguments: FuzzRegressions.names("decoder"))
    func decoderInputDoesNotTrap(_ name: String) async {
        await #expect(processExitsWith: .success, "Tests/Fuzz/regressions/decoder/\(name)") { [name] in
            try FuzzRegressions.replayDecoder(FuzzRegressions.data("decoder", name))
        }
    }

    @Test(arguments: FuzzRegressions.names("router"))
    func routerInputDoesNotTrap(_ name: String) async {
        await #expect(processExitsWith: .success, "Tests/Fuzz/regressions/router/\(name)") { [name] in
            try FuzzRegressions.replayRouter(FuzzRegressions.data("router", name))
        }
    }

    /// The first finding, spelled out: Trakt's `expires_in` is stored as the token's `expires_at` and
    /// reported by /api/trakt/health; an absurd value must not take the process down.
    @Test(arguments: [1e17, -1e17, 1e300, -1e300, Double(Int.max), 9.3e15])
    func healthReportSurvivesAnyTokenExpiry(_ expiresAt: Double) async {
        await #expect(processExitsWith: .success, "expires_at \(expiresAt)") { [expiresAt] in
            let body = FuzzRegressions.healthBody(tokenExpiresAt: expiresAt)
            guard FuzzRegressions.isJSONObject(body) else { exit(1) }
        }
    }
}

enum FuzzRegressions {
    static let directory = URL(filePath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appending(path: "Fuzz/regressions")

    static let now = 1_795_560_000.0

    static func names(_ target: String) -> [String] {
        let path = directory.appending(path: target).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    static func data(_ target: String, _ name: String) throws -> Data {
        try Data(contentsOf: directory.appending(path: target).appending(path: name))
    }

    static func isJSONObject(_ bytes: [UInt8]) -> Bool {
        struct Object: Decodable { var ok: Bool }
        return (try? JSONDecoder().decode(Object.self, from: Data(bytes))) != nil
    }

    static func healthBody(tokenExpiresAt: Double?) -> [UInt8] {
        HealthReport(
            canServe: true, mode: .oauth, tokenState: "valid", tokenExpiresAt: tokenExpiresAt, tokenRotatedAt: now,
            storeKind: "file", storeReachable: true, cacheAge: 1, cacheStale: false, lastSuccessAt: now,
            lastErrorCode: nil
        ).body
    }

    /// OAuthGrant lives in UpstreamClients; this is its wire shape, decoded the same way.
    private struct Grant: Decodable {
        var accessToken: String
        var refreshToken: String
        var expiresIn: Double
        var createdAt: Double?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case refreshToken = "refresh_token"
            case expiresIn = "expires_in"
            case createdAt = "created_at"
        }
    }

    /// DecoderFuzz.swift's paths, minus OAuthGrant's Kit type.
    static func replayDecoder(_ input: Data) throws {
        let decoder = JSONDecoder()
        if let items = try? decoder.decode([TraktHistoryItem].self, from: input) {
            for candidate in [items.first, items.last] {
                guard let candidate else { continue }
                let reference = WatchedItemFormatter.posterReference(for: candidate)
                let item = WatchedItemFormatter.format(
                    candidate, posterPath: reference.map { "/p\($0.tmdbID).jpg" }, images: ImageSettings()
                )
                let result = CachedResult(
            provider: .trakt, snapshot: WatchSnapshot(last: item), fetchedAt: now, verifiedAt: now, posterRetry: nil, mark: nil
                )
                guard isJSONObject(result.body) else { exit(2) }
            }
        }
        if let activities = try? decoder.decode(TraktLastActivities.self, from: input),
           let encoded = try? JSONEncoder().encode(activities) {
            guard try decoder.decode(TraktLastActivities.self, from: encoded) == activities else { exit(3) }
        }
        if let details = try? decoder.decode(TMDBDetails.self, from: input) {
            _ = ImageSettings().posterURL(for: details.posterPath)
        }
        if let grant = try? decoder.decode(Grant.self, from: input) {
            // OAuthGrant.expiresAt(requestedAt:) -> TokenPair.expiresAt -> /api/trakt/health.
            let expiresAt = (grant.createdAt ?? now) + grant.expiresIn
            var lifecycle = TokenLifecycle()
            lifecycle.adopt(TokenPair(
                accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresAt: expiresAt,
                rotatedAt: now, generation: 2
            ))
            _ = lifecycle.action(now: now)
            guard isJSONObject(healthBody(tokenExpiresAt: expiresAt)) else { exit(4) }
        }
    }

    private struct StubSource: LastWatchedSource {
        func lastWatched() -> LastWatchedLookup {
            .result(
                CachedResult(provider: .trakt, snapshot: WatchSnapshot(last: nil), fetchedAt: FuzzRegressions.now, verifiedAt: FuzzRegressions.now, posterRetry: nil, mark: nil),
                maxAge: 60
            )
        }

        func health() -> HealthReport {
            HealthReport(
                canServe: true, mode: .public, tokenState: "not_used", tokenExpiresAt: nil, tokenRotatedAt: nil,
                storeKind: "file", storeReachable: true, cacheAge: 0, cacheStale: false, lastSuccessAt: nil,
                lastErrorCode: nil
            )
        }
    }

    /// RouterFuzz.swift's input layout: method, REQUEST_URI, If-None-Match, separated by NUL bytes.
    static func replayRouter(_ input: Data) throws {
        let parts = Array(input).split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
        let method = parts.count > 1 ? String(decoding: parts[0], as: UTF8.self) : "GET"
        let uri = parts.count > 1 ? parts[1] : (parts.first ?? [])
        var headers: [String: String] = [:]
        if parts.count > 2 { headers["if-none-match"] = String(decoding: parts[2], as: UTF8.self) }
        let request = HTTPRequest(method: method, requestURI: uri, headers: headers)
        let response = RequestHandler(source: StubSource(), ttl: 60).respond(to: request)
        _ = response.cgiHead()
        if !response.body.isEmpty, !isJSONObject(response.body) { exit(5) }
    }
}
