import SystemCalls

/// Finds or creates the listening socket the FastCGI workers accept on.
public enum ListeningSocket {
    /// systemd's first passed descriptor (`sd_listen_fds`).
    static let systemdFirstDescriptor = FileDescriptor(rawValue: 3)
    /// The kernel caps the listen queue at net.core.somaxconn (4096 on Debian 12), as it does for
    /// systemd's sockets: asking for the most gets the system maximum, without reading /proc/sys, which a
    /// hardened unit may hide. A short queue fails a burst at once (nginx answers 502).
    static let backlog = Int32.max

    /// The descriptor systemd passed (`LISTEN_FDS`/`LISTEN_PID`), else fd 0 when it is a listening socket
    /// (spawn-fcgi, `StandardInput=socket`), else nil.
    public static func inherited(environment: [String: String]) -> Int32? {
        if let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == Syscalls.processID,
           let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1 {
            Syscalls.unsetEnvironment("LISTEN_PID")
            Syscalls.unsetEnvironment("LISTEN_FDS")
            Syscalls.unsetEnvironment("LISTEN_FDNAMES")
            return systemdFirstDescriptor.isListening ? systemdFirstDescriptor.rawValue : nil
        }
        return FileDescriptor.standardInput.isListening ? 0 : nil
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
        let capacity = FileDescriptor.unixPathCapacity
        guard path.utf8.count <= capacity else { throw ListenError("socket path is longer than \(capacity) bytes: \(path)") }
        try removeStaleSocket(path)
        let socket: FileDescriptor
        do {
            socket = try FileDescriptor.boundUnixSocket(path)
        } catch {
            throw ListenError("bind \(path): \(error)")
        }
        // nginx's group reads and writes it; nobody else.
        try? Syscalls.changePermissions(path, 0o660)
        return try listening(socket, "listen \(path)")
    }

    private static func removeStaleSocket(_ path: String) throws(ListenError) {
        guard let isSocket = Syscalls.isSocket(path) else { return }
        guard isSocket else {
            throw ListenError("\(path) exists and is not a socket; refusing to replace it")
        }
        if FileDescriptor.unixSocketAccepts(path) {
            throw ListenError("\(path) is in use by another running responder")
        }
        try? Syscalls.unlink(path)
    }

    private static func openTCP(host: String, port: UInt16) throws(ListenError) -> Int32 {
        let bound: FileDescriptor?
        do {
            bound = try FileDescriptor.boundTCPSocket(host: host, port: port)
        } catch {
            throw ListenError("bind/listen \(host):\(port): \(error)")
        }
        guard let socket = bound else {
            throw ListenError("--listen: '\(host)' is not an IPv4 address")
        }
        return try listening(socket, "bind/listen \(host):\(port)")
    }

    private static func listening(_ socket: FileDescriptor, _ operation: String) throws(ListenError) -> Int32 {
        do {
            try socket.closingOnError { () throws(Errno) in try socket.listen(backlog: backlog) }
        } catch {
            throw ListenError("\(operation): \(error)")
        }
        return socket.rawValue
    }
}
