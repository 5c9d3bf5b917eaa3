import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Python fake of Trakt, Trakt OAuth and TMDB (`Tests/Fake/fake_upstream.py`), on a free loopback port.
///
/// The fake runs under a small Python launcher that terminates it when our end of the launcher's stdin
/// pipe closes (on `stop()`, or when the test process exits or crashes), so it never outlives the tests.
/// The launcher first closes every inherited descriptor (a child spawned by Foundation keeps the pipes
/// of other fakes open, which would hide that EOF) and unblocks signals (the test process blocks
/// SIGTERM in its threads, and a spawned child inherits that mask).
/// Readiness: the fake's "listening on" log line (written after the port file), then the port file,
/// then a successful request to its control API.
public final class FakeUpstream: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fake/fake_upstream.py").path

    // Values the fake expects by default (Tests/Fake/fakeupstream/scenario.py).
    public static let clientID = "test-client-id"
    public static let clientSecret = "test-client-secret-XYZ"
    public static let tmdbAPIKey = "test-tmdb-key-XYZ"
    public static let tmdbReadToken = "test-tmdb-read-token-XYZ"
    public static let publicUser = "test-user"

    private static let launcher = """
        import os, signal, subprocess, sys, threading
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.closerange(3, 65536)
        fake = subprocess.Popen([sys.executable] + sys.argv[1:], stdin=subprocess.DEVNULL)
        # If the fake dies on its own, go too: the test then sees EOF on the log instead of waiting.
        threading.Thread(target=lambda: os._exit(fake.wait() or 1), daemon=True).start()
        sys.stdin.buffer.read()
        fake.terminate()
        try:
            fake.wait(5)
        except subprocess.TimeoutExpired:
            fake.kill()
        os._exit(0)
        """

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let process: Process
    private let watchdog: Pipe
    private let directory = TemporaryDirectory()

    public init() throws {
        let portFile = directory.file("port")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.launcher, Self.script, "--port", "0", "--port-file", portFile]
        watchdog = Pipe()
        let log = Pipe()
        process.standardInput = watchdog
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()

        let reader = log.fileHandleForReading
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("listening on") {
            let chunk = reader.availableData
            if chunk.isEmpty {
                throw Failure(description: "the fake exited before listening: \(String(decoding: seen, as: UTF8.self))")
            }
            seen.append(chunk)
        }
        // Keep draining its log so it never blocks on a full pipe.
        Thread.detachNewThread {
            while !reader.availableData.isEmpty {}
        }

        let text = try String(contentsOfFile: portFile, encoding: .utf8)
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "unreadable port file: \(text)")
        }
        self.port = port
        _ = try control("GET", "/_fake/health")
    }

    deinit {
        stop()
    }

    public func stop() {
        guard process.isRunning else { return }
        try? watchdog.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    // MARK: Control API

    public func reset() throws {
        try expectOK(control("POST", "/_fake/reset"))
    }

    public func addFault(_ fault: [String: Any]) throws {
        try expectOK(control("POST", "/_fake/faults", json: fault))
    }

    public func clearFaults() throws {
        try expectOK(control("DELETE", "/_fake/faults"))
    }

    public func setScenario(_ patch: [String: Any]) throws {
        try expectOK(control("POST", "/_fake/scenario", json: patch))
    }

    public func setDevice(_ patch: [String: Any]) throws {
        try expectOK(control("POST", "/_fake/device", json: patch))
    }

    public struct TokenSnapshot: Decodable {
        public var access_token: String
        public var refresh_token: String
        public var used_refresh_tokens: [String]
        public var revoked_tokens: [String]
        public var issued: Int
    }

    public func tokens() throws -> TokenSnapshot {
        try JSONDecoder().decode(TokenSnapshot.self, from: Data(expectOK(control("GET", "/_fake/tokens"))))
    }

    public struct LoggedRequest: Decodable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [String: String]
        public var body: String?
        public var status: Int?
    }

    private struct RequestList: Decodable { var requests: [LoggedRequest] }

    /// What reached the fake, oldest first, optionally for one exact path.
    public func requests(path: String? = nil) throws -> [LoggedRequest] {
        let query = path.map { "?path=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return try JSONDecoder().decode(RequestList.self, from: Data(expectOK(control("GET", "/_fake/requests" + query)))).requests
    }

    @discardableResult
    private func expectOK(_ response: (status: Int, body: [UInt8])) throws -> [UInt8] {
        guard response.status == 200 else {
            throw Failure(description: "control API answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.body
    }

    private func control(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> (status: Int, body: [UInt8]) {
        let body = try json.map { try [UInt8](JSONSerialization.data(withJSONObject: $0)) } ?? []
        return try Self.rawHTTP(port: port, method: method, path: path, body: body)
    }

    /// A minimal HTTP/1.0 exchange over a plain socket, independent of the client under test.
    public static func rawHTTP(port: Int, method: String, path: String, body: [UInt8] = []) throws -> (status: Int, body: [UInt8]) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket failed") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect to the fake failed: errno \(errno)") }

        let head = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: fake-control\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure(description: "send to the fake failed") }
            sent += count
        }

        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw Failure(description: "recv from the fake failed: errno \(errno)") }
            if count == 0 { break }
            response.append(contentsOf: chunk[..<count])
        }
        guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw Failure(description: "no HTTP head from the fake")
        }
        let statusLine = String(decoding: response[..<split.lowerBound], as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line from the fake")
        }
        return (status, Array(response[split.upperBound...]))
    }
}

import CurlClient
import TraktWidgetCore
import UpstreamClients

extension FakeUpstream {
    public static let userAgent = "trakt-widget-tests/1.0"

    public func traktSettings(
        publicUser: String? = FakeUpstream.publicUser, clientID: String = FakeUpstream.clientID,
        clientSecret: String? = FakeUpstream.clientSecret
    ) -> TraktSettings {
        TraktSettings(
            apiURL: baseURL, authURL: baseURL, clientID: clientID, clientSecret: clientSecret,
            redirectURI: "urn:ietf:wg:oauth:2.0:oob", publicUsername: publicUser
        )
    }

    public func tmdbSettings(apiKey: String? = FakeUpstream.tmdbAPIKey, readToken: String? = nil) -> TMDBSettings {
        TMDBSettings(apiURL: baseURL, apiKey: apiKey, readToken: readToken, images: ImageSettings())
    }

    public func client(_ timeouts: Timeouts = Timeouts(connect: 5, total: 10)) throws -> HTTPClient {
        try HTTPClient(userAgent: Self.userAgent, timeouts: timeouts)
    }
}

/// One fake per suite, started on first use and reset before each test. Suites that use it are
/// `.serialized`, so a test's faults and scenario never leak into another test.
public struct SharedFake: Sendable {
    private let started: Result<FakeUpstream, any Error>

    public init() {
        started = Result { try FakeUpstream() }
    }

    public func fresh() throws -> FakeUpstream {
        let fake = try started.get()
        try fake.reset()
        return fake
    }
}
