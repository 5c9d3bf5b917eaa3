import SystemCalls
import TraktWidgetCore

/// Plain CGI: one request described by the environment, answered on stdout, then exit.
public enum CGIResponder {
    /// Started by a CGI server: `GATEWAY_INTERFACE` is set and fd 0 is not a listening socket.
    public static func isCGI(environment: [String: String]) -> Bool {
        environment["GATEWAY_INTERFACE"] != nil && !FileDescriptor.standardInput.isListening
    }

    public static func request(from environment: [String: String]) -> HTTPRequest {
        var headers: [String: String] = [:]
        if let tag = environment["HTTP_IF_NONE_MATCH"] { headers["if-none-match"] = tag }
        let uri = environment["REQUEST_URI"]
            ?? (environment["SCRIPT_NAME"] ?? "") + (environment["PATH_INFO"] ?? "")
                + (environment["QUERY_STRING"].map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        return HTTPRequest(method: environment["REQUEST_METHOD"] ?? "GET", requestURI: Array(uri.utf8), headers: headers)
    }

    public static func write(_ response: HTTPResponse) {
        var bytes = response.cgiHead()
        bytes.append(contentsOf: response.body)
        // A CGI server that closed our stdout does not want the answer any more.
        try? FileDescriptor.standardOutput.writeAll(bytes)
    }
}
