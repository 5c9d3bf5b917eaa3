import CCurl

/// A libcurl multi handle: runs several easy handles at once on the calling thread. It also owns the
/// shared connection cache, which is why it lives as long as the client.
final class CurlMulti {
    private let handle: UnsafeMutableRawPointer

    init() throws(TransportError) {
        _ = CurlGlobal.initialized
        guard let handle = curl_multi_init() else { throw .failed(code: -1, "curl_multi_init failed") }
        self.handle = handle
    }

    deinit {
        curl_multi_cleanup(handle)
    }

    /// Runs every transfer to completion (each bounded by its own timeout) and returns their results in
    /// the order given.
    func perform(_ transfers: [CurlEasy]) -> [Result<UpstreamResponse, TransportError>] {
        var results = [Result<UpstreamResponse, TransportError>?](repeating: nil, count: transfers.count)
        var added: [Int] = []
        for (index, easy) in transfers.enumerated() {
            let code = curl_multi_add_handle(handle, easy.handle)
            if code == CURLM_OK {
                added.append(index)
            } else {
                results[index] = .failure(.failed(code: Int(code.rawValue), String(cString: curl_multi_strerror(code))))
            }
        }
        defer {
            for index in added { curl_multi_remove_handle(handle, transfers[index].handle) }
        }

        var running: Int32 = 1
        while running > 0 {
            let code = curl_multi_perform(handle, &running)
            guard code == CURLM_OK else {
                let failure = TransportError.failed(code: Int(code.rawValue), String(cString: curl_multi_strerror(code)))
                for index in added where results[index] == nil { results[index] = .failure(failure) }
                return results.map { $0! }
            }
            collectFinished(transfers, into: &results)
            if running > 0 {
                _ = curl_multi_poll(handle, nil, 0, 1000, nil)
            }
        }
        collectFinished(transfers, into: &results)
        return results.map { $0 ?? .failure(.failed(code: -1, "transfer did not finish")) }
    }

    private func collectFinished(_ transfers: [CurlEasy], into results: inout [Result<UpstreamResponse, TransportError>?]) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(handle, &queued) {
            guard message.pointee.msg == CURLMSG_DONE,
                  let index = transfers.firstIndex(where: { $0.handle == message.pointee.easy_handle })
            else { continue }
            results[index] = transfers[index].finish(message.pointee.data.result)
        }
    }
}
