#if canImport(Glibc)
import Glibc
#endif

/// A minimal FastCGI client for tests that need the real transport: one GET per connection, and the
/// raw bytes of the answer.
struct FastCGITestClient {
    let descriptor: Int32

    /// Connects to a unix socket. The connection lands in the backlog even when nobody accepts.
    init(path: String) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(connected == 0, "connect \(path): \(errno)")
    }

    func close() {
        _ = Glibc.close(descriptor)
    }

    func send(path: String) {
        var params: [UInt8] = []
        for (name, value) in [("REQUEST_METHOD", "GET"), ("REQUEST_URI", path), ("GATEWAY_INTERFACE", "CGI/1.1")] {
            params += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        let bytes = Self.record(1, [0, 1, 0, 0, 0, 0, 0, 0]) + Self.record(4, params) + Self.record(4, [])
            + Self.record(5, [])
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Everything the server sends until it closes the connection (or `seconds` pass).
    func readAll(timeout seconds: Int = 10) -> [UInt8] {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { return received }
            received += buffer[0..<count]
        }
    }

    /// The CGI status line inside the stdout records, e.g. "Status: 200".
    static func status(in answer: [UInt8]) -> String? {
        let text = String(decoding: answer, as: UTF8.self)
        guard let range = text.range(of: "Status: ") else { return nil }
        return String(text[range.lowerBound...].prefix(11))
    }

    private static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }
}
