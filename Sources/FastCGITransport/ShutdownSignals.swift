#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT are blocked in every thread and taken by `sigwait` in the main thread.
///
/// libfcgi installs a SIGTERM handler that only sets a flag, so an idle threaded responder would ignore
/// SIGTERM until systemd kills it. Blocking first, before `FCGX_Init` and before any thread starts
/// (threads inherit the mask), turns the signal into an ordinary event for the main thread.
public enum ShutdownSignals {
    public static func block() {
        var set = signals()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks the calling thread until SIGTERM or SIGINT arrives; returns its name.
    public static func wait() -> String {
        var set = signals()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received == SIGTERM ? "SIGTERM" : "SIGINT"
    }

    private static func signals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
