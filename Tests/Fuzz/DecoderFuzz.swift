// libFuzzer entry point for the upstream JSON decoders, built by Tests/Fuzz/build.sh (not by SwiftPM).
//
// Each input is decoded as every upstream body the responder reads, with the production decoder
// (FoundationEssentials' JSONDecoder), and what decodes is pushed down the same path production takes:
//   [TraktHistoryItem]   -> first/last -> WatchedItemFormatter -> LastWatchedBody -> ETag
//   TraktLastActivities  -> JSONEncoder (PersistedResult) -> JSONDecoder, must round-trip
//   TMDBDetails          -> ImageSettings.posterURL
//   OAuthGrant           -> TokenPair (expiresAt) -> JSONEncoder (token store) -> HealthReport body
// Oracles: no trap; every body we write is valid JSON that decodes back to what we wrote.
import FoundationEssentials

private let images = ImageSettings()
private let now = 1_795_560_000.0

/// The contract body, read back with the same CodingKeys the encoder's keys mirror.
private struct BodyMirror: Decodable {
    var ok: Bool
    var data: WatchedItem?
    var cached_at: String
    var stale: Bool?
}

/// Only checks that a body is a JSON object (the health and error bodies).
private struct AnyObject: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: Key.self)
    }
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}

private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz oracle: \(message())") }
}

private func exercise(history items: [TraktHistoryItem]) {
    for candidate in [items.first, items.last] {
        guard let candidate else { continue }
        let reference = WatchedItemFormatter.posterReference(for: candidate)
        _ = reference?.path
        let posterPath = reference.map { "/poster-\($0.kind.rawValue)-\($0.tmdbID).jpg" }
        let item = WatchedItemFormatter.format(candidate, posterPath: posterPath, images: images)
        for stale in [false, true] {
            let result = CachedResult(
            provider: .trakt, snapshot: WatchSnapshot(last: item), fetchedAt: now, verifiedAt: now, stale: stale, posterRetry: nil, mark: nil
            )
            let body = result.body
            let decoded: BodyMirror
            do {
                decoded = try JSONDecoder().decode(BodyMirror.self, from: Data(body))
            } catch {
                fatalError("fuzz oracle: LastWatchedBody is not valid JSON (\(error)): \(String(decoding: body, as: UTF8.self))")
            }
            check(decoded.ok, "ok must be true")
            check(decoded.data == item, "body does not round-trip: \(String(describing: decoded.data)) != \(String(describing: item))")
            check((decoded.stale ?? false) == stale, "stale flag lost")
            check(EntityTag.ifNoneMatch(result.etag, matches: result.etag), "an ETag must match itself")
        }
    }
}

private func exercise(activities: TraktLastActivities) {
    // PersistedResult keeps the marks through JSONEncoder; a restart must read back the same marks.
    guard let encoded = try? JSONEncoder().encode(activities) else { return }
    do {
        let back = try JSONDecoder().decode(TraktLastActivities.self, from: encoded)
        check(back == activities, "last_activities do not round-trip: \(back) != \(activities)")
    } catch {
        fatalError("fuzz oracle: encoded last_activities do not decode: \(error)")
    }
}

private func exercise(details: TMDBDetails) {
    if let url = images.posterURL(for: details.posterPath) {
        check(url.hasPrefix(images.baseURL + "/" + images.posterSize), "poster URL escapes the image base: \(url)")
    }
}

private func exercise(grant: OAuthGrant) {
    // TokenManager.rotate: the pair that is stored and reported by /api/trakt/health.
    let pair = TokenPair(
        accessToken: grant.accessToken, refreshToken: grant.refreshToken,
        expiresAt: grant.expiresAt(requestedAt: now), rotatedAt: now, generation: 2
    )
    _ = try? JSONEncoder().encode(pair)
    var lifecycle = TokenLifecycle()
    lifecycle.adopt(pair)
    _ = lifecycle.phase(now: now)
    _ = lifecycle.action(now: now)
    let report = HealthReport(
        canServe: true, mode: .oauth, tokenState: lifecycle.phase(now: now).rawValue,
        tokenExpiresAt: pair.expiresAt, tokenRotatedAt: pair.rotatedAt, storeKind: "file", storeReachable: true,
        cacheAge: 1, cacheStale: false, lastSuccessAt: now, lastErrorCode: nil
    )
    let body = report.body
    check((try? JSONDecoder().decode(AnyObject.self, from: Data(body))) != nil,
          "health body is not JSON: \(String(decoding: body, as: UTF8.self))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(UnsafeBufferPointer(start: data, count: size))
    let decoder = JSONDecoder()
    if let items = try? decoder.decode([TraktHistoryItem].self, from: input) { exercise(history: items) }
    if let activities = try? decoder.decode(TraktLastActivities.self, from: input) { exercise(activities: activities) }
    if let details = try? decoder.decode(TMDBDetails.self, from: input) { exercise(details: details) }
    if let grant = try? decoder.decode(OAuthGrant.self, from: input) { exercise(grant: grant) }
    return 0
}
