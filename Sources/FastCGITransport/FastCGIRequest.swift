import CFastCGI
import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

/// One worker's `FCGX_Request`. It lives on the heap at a fixed address because libfcgi's streams keep a
/// pointer back to it; `deinit` frees it.
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(listening descriptor: Int32) {
        request = .allocate(capacity: 1)
        FCGX_InitRequest(request, descriptor, 0)
    }

    deinit {
        FCGX_Free(request, 0)
        request.deallocate()
    }

    /// Blocks until the next request. A negative libfcgi status (shutdown, EINTR, a closed socket)
    /// means this worker should stop.
    func accept() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    func finish() {
        FCGX_Finish_r(request)
    }

    /// Copies the request out of libfcgi's buffers, which the next accept frees.
    func read() -> HTTPRequest {
        let method = FCGX_GetParam("REQUEST_METHOD", request.pointee.envp).map { String(cString: $0) } ?? "GET"
        let uri = param("REQUEST_URI") ?? (param("DOCUMENT_URI") ?? param("SCRIPT_NAME") ?? [])
        var headers: [String: String] = [:]
        if let tag = param("HTTP_IF_NONE_MATCH") {
            headers["if-none-match"] = String(decoding: tag, as: UTF8.self)
        }
        return HTTPRequest(method: method, requestURI: uri, headers: headers)
    }

    /// Writes the response. A client that went away (EPIPE) is routine: report it, never crash.
    ///
    /// Closing stderr first makes stdout the last writer, so closing it sends the body, its end-of-stream
    /// record and FCGI_END_REQUEST in one `write()`, and still reports a failed write, which
    /// `FCGX_Finish_r` would swallow.
    func write(_ response: HTTPResponse) -> Bool {
        guard put(response.cgiHead()), put(response.body) else { return false }
        FCGX_FClose(request.pointee.err)
        return FCGX_FClose(request.pointee.out) == 0
    }

    private func put(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                FCGX_PutStr(chars.baseAddress, Int32(chars.count), request.pointee.out) == Int32(chars.count)
            }
        }
    }

    private func param(_ name: String) -> [UInt8]? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return Array(UnsafeRawBufferPointer(start: value, count: strlen(value)))
    }
}
