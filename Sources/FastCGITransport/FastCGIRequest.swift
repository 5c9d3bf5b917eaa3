import CFastCGI
import SystemCalls
import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

/// One worker's `FCGX_Request`. It lives on the heap at a fixed address because libfcgi's streams keep a
/// pointer back to it; `deinit` frees it.
///
/// libfcgi never sees the listening socket: the dispatcher accepts, and hands each connection in
/// through `ipcFd`, so no worker ever sits in `accept()` (where a drain could not stop it).
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init() {
        request = .allocate(capacity: 1)
        // No listening socket: if the connection closes before a request arrives, libfcgi's retry
        // accept()s on -1, fails with EBADF and returns instead of blocking.
        FCGX_InitRequest(request, -1, 0)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Reads the next request from `connection`, which is now libfcgi's to close. False when the
    /// peer closed it, timed out or spoke garbage (libfcgi has closed it then).
    func begin(on connection: FileDescriptor) -> Bool {
        request.pointee.ipcFd = connection.rawValue
        // FCGX_Accept_r first finishes the previous request and closes the descriptor unless this is set.
        request.pointee.keepConnection = 1
        return FCGX_Accept_r(request) >= 0
    }

    /// Whether the client asked to reuse the connection (FCGI_KEEP_CONN), as nginx's
    /// `fastcgi_keep_conn` and Apache's `enablereuse` do.
    var clientKeepsConnection: Bool {
        request.pointee.keepConnection != 0
    }

    /// Ends the request. When `keep` holds and the connection is healthy, returns its descriptor (now
    /// the caller's) for the next request; otherwise closes it and returns nil.
    ///
    /// The close is a plain `close()`, not libfcgi's: libfcgi half-closes and then waits up to 2 s for
    /// the peer to hang up, holding the worker. `discardInput()` has read everything the peer sent, so
    /// nothing unread can turn the close into a reset.
    func finish(keep: Bool) -> FileDescriptor? {
        request.pointee.keepConnection = 1
        FCGX_Finish_r(request)
        let descriptor = request.pointee.ipcFd
        request.pointee.ipcFd = -1
        guard descriptor >= 0 else { return nil }
        let connection = FileDescriptor(rawValue: descriptor)
        if keep { return connection }
        connection.close()
        return nil
    }

    /// Reads the rest of the request body up to its end record (a GET has only the end record). The
    /// handler never needs a body, and a kept connection must start the next request on a record
    /// boundary.
    func discardInput() {
        var buffer = [CChar](repeating: 0, count: 4096)
        while FCGX_GetStr(&buffer, Int32(buffer.count), request.pointee.in) == Int32(buffer.count) {}
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
