/// The system calls the boundary wraps, by name: the failure-injection hook addresses them this way.
public enum Syscall: String, Sendable, CaseIterable {
    case open, read, write, fsync, rename, unlink, mkdir, chmod, flock, socket, bind, listen, connect, poll, accept, fcntl
}
