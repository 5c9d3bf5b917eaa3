#if canImport(Glibc)
import Glibc
#endif

/// Finds or creates the listening socket the FastCGI workers accept on.
public enum ListeningSocket {
    /// systemd's first passed descriptor (`sd_listen_fds`).
    static let systemdFirstDescriptor: Int32 = 3
    /// The kernel caps the listen queue at net.core.somaxconn (4096 on Debian 12), as it does for
    /// systemd's sockets: asking for the most gets the system maximum, without reading /proc/sys, which a
    /// hardened unit may hide. A short queue fails a burst at once (nginx answers 502).
    static let backlog = Int32.max

    /// The descriptor systemd passed (`LISTEN_FDS`/`LISTEN_PID`), else fd 0 when it is a listening socket
    /// (spawn-fcgi, `StandardInput=socket`), else nil.
    public static func inherited(environment: [String: String]) -> Int32? {
        if let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
           let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1 {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
            return isListening(systemdFirstDescriptor) ? systemdFirstDescriptor : nil
        }
        return isListening(0) ? 0 : nil
    }

    public static func isListening(_ descriptor: Int32) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting == 1
    }

    /// Opens `address`. Unlike `FCGX_OpenSocket`, it reports failures instead of calling `exit()`, and it
    /// replaces a socket file only when it is stale (nobody accepts on it).
    public static func open(_ address: ListenAddress) throws(ListenError) -> Int32 {
        switch address {
        case .unix(let path): return try openUnix(path)
        case .tcp(let host, let port): return try openTCP(host: host, port: port)
        }
    }

    private static func openUnix(_ path: String) throws(ListenError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw ListenError("socket path is longer than \(capacity - 1) bytes: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        try removeStaleSocket(path, address: address)

        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ListenError("socket(): \(Errno.current)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let reason = Errno.current
            close(descriptor)
            throw ListenError("bind \(path): \(reason)")
        }
        // nginx's group reads and writes it; nobody else.
        chmod(path, 0o660)
        guard listen(descriptor, backlog) == 0 else {
            let reason = Errno.current
            close(descriptor)
            throw ListenError("listen \(path): \(reason)")
        }
        return descriptor
    }

    private static func removeStaleSocket(_ path: String, address: sockaddr_un) throws(ListenError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ListenError("\(path) exists and is not a socket; refusing to replace it")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var target = address
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw ListenError("\(path) is in use by another running responder")
        }
        unlink(path)
    }

    private static func openTCP(host: String, port: UInt16) throws(ListenError) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ListenError("--listen: '\(host)' is not an IPv4 address")
        }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ListenError("socket(): \(Errno.current)") }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, backlog) == 0 else {
            let reason = Errno.current
            close(descriptor)
            throw ListenError("bind/listen \(host):\(port): \(reason)")
        }
        return descriptor
    }
}
