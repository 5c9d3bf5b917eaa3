/// Where `--listen` asks the responder to listen: a unix socket path or `host:port`.
public enum ListenAddress: Equatable, Sendable {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    /// `/run/x.sock` and `./x.sock` are paths; `127.0.0.1:9000` is TCP. A bare `:9000` is refused:
    /// libfcgi would bind every interface, which is never what a responder behind nginx wants.
    public init(parsing text: String) throws(ListenError) {
        if text.hasPrefix("/") || text.hasPrefix(".") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw ListenError("--listen takes a socket path or HOST:PORT (e.g. 127.0.0.1:9000), got '\(text)'")
        }
        let host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            throw ListenError("--listen: '\(text)' has no valid port")
        }
        self = .tcp(host: host == "localhost" ? "127.0.0.1" : host, port: port)
    }
}
