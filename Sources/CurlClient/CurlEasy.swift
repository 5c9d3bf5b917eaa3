import CCurl
import TraktWidgetCore

/// One libcurl easy handle and the buffers of its current transfer. Reused across transfers so that
/// the connection cache and TLS sessions survive between refreshes; `deinit` frees the handle.
final class CurlEasy {
    /// A body larger than this is refused: nothing the widget calls returns more than a few KB.
    static let maximumBodyBytes = 2 << 20

    let handle: UnsafeMutableRawPointer
    private(set) var body: [UInt8] = []
    private(set) var headers: [String: String] = [:]
    private var headerList: CurlHeaderList?

    init() throws(TransportError) {
        _ = CurlGlobal.initialized
        guard let handle = curl_easy_init() else { throw .failed(code: -1, "curl_easy_init failed") }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    func prepare(_ request: UpstreamRequest, userAgent: String, timeouts: Timeouts) throws(TransportError) {
        curl_easy_reset(handle)
        body.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        headerList = CurlHeaderList(request.headers.map { "\($0.0): \($0.1)" })
        let me = Unmanaged.passUnretained(self).toOpaque()

        try check(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
        // libcurl must not touch signals: the process is multi-threaded and libfcgi owns SIGPIPE.
        try check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        try check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000)))
        try check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int((request.timeout ?? timeouts.total) * 1000)))
        // Trakt's Cloudflare answers 403 to a request without a User-Agent, and libcurl sends none.
        try check(ccurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent))
        try check(ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""))
        try check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList?.pointer))
        try check(ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody))
        try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, me))
        try check(ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        try check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, me))
        if request.method == .post {
            let payload = request.body ?? []
            try check(ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, payload.count))
            // COPYPOSTFIELDS: libcurl keeps its own copy, so the Swift array may go away.
            let code = payload.withUnsafeBytes {
                ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
            try check(code)
        }
    }

    /// The response after the transfer ended with `code`.
    func finish(_ code: CURLcode) -> Result<UpstreamResponse, TransportError> {
        guard code == CURLE_OK else { return .failure(Self.transportError(code)) }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let response = UpstreamResponse(status: status, headers: headers, body: body)
        body = []
        headerList = nil
        return .success(response)
    }

    fileprivate func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard body.count + bytes.count <= Self.maximumBodyBytes else { return false }
        body.append(contentsOf: bytes)
        return true
    }

    fileprivate func appendHeader(_ line: UnsafeBufferPointer<UInt8>) {
        // A new status line starts a new header block (after a redirect or a 100 Continue).
        if line.starts(with: Array("HTTP/".utf8)) {
            headers.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            .trimmingCharacters(in: " \t\r\n")
        headers[name] = value
    }

    private func check(_ code: CURLcode) throws(TransportError) {
        guard code == CURLE_OK else { throw Self.transportError(code) }
    }

    static func transportError(_ code: CURLcode) -> TransportError {
        let reason = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotConnect(reason)
        default: return .failed(code: Int(code.rawValue), reason)
        }
    }
}

private let curlWriteBody: ccurl_data_fn = { pointer, size, count, userdata in
    let easy = Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer)?.assumingMemoryBound(to: UInt8.self), count: length)
    // Returning less than `length` aborts the transfer: used to cap oversized bodies.
    return easy.appendBody(bytes) ? length : 0
}

private let curlWriteHeader: ccurl_data_fn = { pointer, size, count, userdata in
    let easy = Unmanaged<CurlEasy>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    easy.appendHeader(UnsafeBufferPointer(start: UnsafeRawPointer(pointer)?.assumingMemoryBound(to: UInt8.self), count: length))
    return length
}
