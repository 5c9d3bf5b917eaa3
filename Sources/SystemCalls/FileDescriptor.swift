import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// An open file or socket descriptor. Not closed automatically: the owner calls `close()`.
public struct FileDescriptor: Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    /// "DEVICE:INODE" of what the descriptor refers to, the form of systemd's `$JOURNAL_STREAM`; nil when
    /// it is not open.
    public var deviceAndInode: String? {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }

    public struct OpenOptions: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenOptions(rawValue: O_RDONLY)
        public static let writeOnly = OpenOptions(rawValue: O_WRONLY)
        public static let readWrite = OpenOptions(rawValue: O_RDWR)
        public static let create = OpenOptions(rawValue: O_CREAT)
        public static let truncate = OpenOptions(rawValue: O_TRUNC)
        public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    }

    /// Opens `path` close-on-exec (a spawned child never inherits a state file).
    public static func open(_ path: String, _ options: OpenOptions, permissions: UInt32 = 0o600) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try Syscalls.valueOrErrno(.open) {
            Glibc.open(path, options.rawValue | O_CLOEXEC, mode_t(permissions))
        })
    }

    /// Closing is never retried: on Linux the descriptor is gone even when close reports EINTR.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Syscalls.valueOrErrno(.read, descriptor: rawValue) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Everything up to end of file.
    public func readAll() throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try read(into: buffer) }
            }.get()
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Writes all of `bytes`, continuing after short writes.
    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try bytes.withUnsafeBytes { buffer in
                Result { () throws(Errno) in
                    try Syscalls.valueOrErrno(.write, descriptor: rawValue) {
                        Glibc.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                    }
                }
            }.get()
        }
    }

    public func sync() throws(Errno) {
        _ = try Syscalls.valueOrErrno(.fsync, descriptor: rawValue) { fsync(rawValue) }
    }

    /// An exclusive `flock` (blocking); shared by every process that opens the same file.
    public func lockExclusive() throws(Errno) {
        _ = try Syscalls.valueOrErrno(.flock, descriptor: rawValue) { flock(rawValue, LOCK_EX) }
    }

    public func unlock() {
        _ = flock(rawValue, LOCK_UN)
    }

    // MARK: Sockets

    /// The longest unix socket path, in bytes.
    public static let unixPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A stream socket bound to the unix socket `path`.
    public static func boundUnixSocket(_ path: String) throws(Errno) -> FileDescriptor {
        let socket = try streamSocket(AF_UNIX)
        var address = try unixAddress(path)
        try socket.closingOnError { () throws(Errno) in try socket.call(.bind, with: &address, bind) }
        return socket
    }

    /// Whether some process accepts connections on the unix socket `path`.
    public static func unixSocketAccepts(_ path: String) -> Bool {
        guard let socket = try? streamSocket(AF_UNIX), var address = try? unixAddress(path) else { return false }
        defer { socket.close() }
        return (try? socket.call(.connect, with: &address, connect)) != nil
    }

    /// A TCP socket bound to the IPv4 `host` (dotted quad) and `port`, with SO_REUSEADDR; nil when `host`
    /// is not an IPv4 address.
    public static func boundTCPSocket(host: String, port: UInt16) throws(Errno) -> FileDescriptor? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let socket = try streamSocket(AF_INET)
        var reuse: Int32 = 1
        setsockopt(socket.rawValue, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        try socket.closingOnError { () throws(Errno) in try socket.call(.bind, with: &address, bind) }
        return socket
    }

    public func listen(backlog: Int32) throws(Errno) {
        _ = try Syscalls.valueOrErrno(.listen, descriptor: rawValue) { Glibc.listen(rawValue, backlog) }
    }

    /// The next pending connection of this listening socket (close-on-exec, blocking), or nil when none
    /// is waiting (EAGAIN) or it was aborted before it was taken.
    public func acceptConnection() throws(Errno) -> FileDescriptor? {
        do {
            return FileDescriptor(rawValue: try Syscalls.valueOrErrno(.accept, descriptor: rawValue) {
                accept4(rawValue, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            })
        } catch where error == .wouldBlock || error == .connectionAborted {
            return nil
        }
    }

    /// Makes reads and writes (and accept) return EAGAIN instead of waiting.
    public func setNonBlocking() throws(Errno) {
        let flags = try Syscalls.valueOrErrno(.fcntl, descriptor: rawValue) { fcntl(rawValue, F_GETFL) }
        _ = try Syscalls.valueOrErrno(.fcntl, descriptor: rawValue) { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// A read or write on this socket that waits longer than `seconds` fails with EAGAIN.
    public func setIOTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(rawValue, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
    }

    /// Whether this descriptor is a socket in the listening state.
    public var isListening: Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(rawValue, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting == 1
    }

    /// `bind` or `connect` with a concrete socket address, as the `sockaddr` pointer C wants.
    private func call<Address>(
        _ syscall: Syscall, with address: inout Address,
        _ function: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) throws(Errno) {
        _ = try Syscalls.valueOrErrno(syscall, descriptor: rawValue) {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { function(rawValue, $0, socklen_t(MemoryLayout<Address>.size)) }
            }
        }
    }

    /// Runs `body`; when it throws, this descriptor is closed first.
    public func closingOnError(_ body: () throws(Errno) -> Void) throws(Errno) {
        do {
            try body()
        } catch {
            close()
            throw error
        }
    }

    private static func streamSocket(_ family: Int32) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try Syscalls.valueOrErrno(.socket) { socket(family, Int32(SOCK_STREAM.rawValue), 0) })
    }

    private static func unixAddress(_ path: String) throws(Errno) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count <= unixPathCapacity else { throw .nameTooLong }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        return address
    }
}
