import CurlClient
import Logging
import Synchronization
import SystemCalls
import TraktWidgetCore

/// Poster images for the card, by URL, fetched during refreshes and never on a request. Bounded by
/// total bytes (least recently used go first). A failed or non-image answer is remembered for a while,
/// so a broken poster costs one request per `retryFailuresAfter`, not one per refresh.
public final class PosterBytes: Sendable {
    /// Room for the posters of several snapshots (a w154 is ~15 KB, a w92 ~5 KB, base64 adds a third).
    public static let defaultByteCap = 2 * 1024 * 1024
    public static let retryFailuresAfter = 3600.0
    /// TMDB's posters at these sizes are tens of KB; anything far larger is not one.
    static let largestPoster = 256 * 1024

    private struct State {
        var images = LRUCache<String, PosterImage>(capacity: 4096)
        var bytes = 0
        var failedUntil: [String: Double] = [:]
    }

    private let state = Mutex(State())
    private let http: HTTPClient
    private let clock: WallClock
    private let byteCap: Int

    public init(http: HTTPClient, clock: WallClock, byteCap: Int = PosterBytes.defaultByteCap) {
        self.http = http
        self.clock = clock
        self.byteCap = byteCap
    }

    /// Fetches, concurrently, the URLs neither held nor recently failed.
    public func fetchMissing(_ urls: [String]) {
        let now = clock.now()
        let missing = state.withLock { state in
            Array(Set(urls.filter { state.images.value(for: $0) == nil && (state.failedUntil[$0] ?? 0) <= now })).sorted()
        }
        guard !missing.isEmpty else { return }
        let responses = http.send(missing.map { UpstreamRequest(url: $0, headers: [("Accept", "image/*")]) })
        state.withLock { state in
            for (url, response) in zip(missing, responses) {
                guard case .success(let answer) = response, answer.isSuccess, answer.body.count <= Self.largestPoster,
                      let image = PosterImage(bytes: answer.body)
                else {
                    state.failedUntil[url] = now + Self.retryFailuresAfter
                    Logger.shared.warning("poster image unavailable (\(Self.describe(response))); the card shows a placeholder")
                    continue
                }
                state.failedUntil[url] = nil
                state.bytes += image.base64.utf8.count
                state.bytes -= state.images.set(image, for: url).reduce(0) { $0 + $1.base64.utf8.count }
            }
            while state.bytes > byteCap, let oldest = state.images.keys.first {
                state.bytes -= state.images.removeValue(for: oldest)?.base64.utf8.count ?? 0
            }
        }
    }

    /// The held images among `urls`.
    public func images(for urls: [String]) -> [String: PosterImage] {
        state.withLock { state in
            var found: [String: PosterImage] = [:]
            for url in urls {
                if let image = state.images.value(for: url) { found[url] = image }
            }
            return found
        }
    }

    private static func describe(_ response: Result<UpstreamResponse, TransportError>) -> String {
        switch response {
        case .success(let answer): "HTTP \(answer.status)"
        case .failure(let error): "\(error)"
        }
    }
}
