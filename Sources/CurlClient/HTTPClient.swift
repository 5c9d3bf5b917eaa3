import Synchronization

/// The one HTTP client of the process: concurrent requests over reused libcurl handles.
///
/// Calls are serialised: the refresh loop is the only regular caller, and serialising keeps handle
/// reuse trivially safe (libcurl handles must never be used by two threads at once).
public final class HTTPClient: Sendable {
    private struct Handles: ~Copyable {
        let multi: CurlMulti
        var pool: [CurlEasy]
    }

    private let handles: Mutex<Handles>
    private let userAgent: String
    private let timeouts: Timeouts

    public init(userAgent: String, timeouts: Timeouts) throws(TransportError) {
        self.handles = Mutex(Handles(multi: try CurlMulti(), pool: []))
        self.userAgent = userAgent
        self.timeouts = timeouts
    }

    public func send(_ request: UpstreamRequest) -> Result<UpstreamResponse, TransportError> {
        send([request])[0]
    }

    /// Runs all requests concurrently; results come back in the order given.
    public func send(_ requests: [UpstreamRequest]) -> [Result<UpstreamResponse, TransportError>] {
        handles.withLock { handles in
            while handles.pool.count < requests.count {
                do throws(TransportError) {
                    handles.pool.append(try CurlEasy())
                } catch {
                    return requests.map { _ in .failure(error) }
                }
            }
            let transfers = Array(handles.pool.prefix(requests.count))
            var prepared: [Result<UpstreamResponse, TransportError>?] = []
            for (easy, request) in zip(transfers, requests) {
                do throws(TransportError) {
                    try easy.prepare(request, userAgent: userAgent, timeouts: timeouts)
                    prepared.append(nil)
                } catch {
                    prepared.append(.failure(error))
                }
            }
            let runnable = zip(transfers, prepared).filter { $0.1 == nil }.map(\.0)
            var outcomes = handles.multi.perform(runnable).makeIterator()
            return prepared.map { $0 ?? outcomes.next()! }
        }
    }
}
