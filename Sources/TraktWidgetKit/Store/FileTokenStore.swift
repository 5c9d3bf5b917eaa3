import FoundationEssentials
import TraktWidgetCore
#if canImport(Glibc)
import Glibc
#endif

/// The embedded default store: JSON files in the state directory, replaced atomically, mode 0600,
/// under a `flock` so several processes on one host never refresh the same token twice.
public final class FileTokenStore: TokenStore {
    public let kind = "file"
    public let directory: String
    private let lock: FileLock

    var tokensPath: String { directory + "/tokens.json" }
    private var resultPath: String { directory + "/last-result.json" }
    public var location: String { tokensPath }

    public init(directory: String) throws(StoreError) {
        self.directory = directory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw StoreError("create state directory \(directory)", Errno.current)
        }
        lock = try FileLock(path: directory + "/store.lock")
    }

    public func loadTokens() throws(StoreError) -> TokenRecord {
        try decode(TokenRecord.self, from: tokensPath) ?? TokenRecord()
    }

    public func lockRotation(lastResort: Bool) throws(StoreError) -> any RotationLock {
        try lock.acquire()
        return FileRotationLock(store: self, lock: lock)
    }

    public func saveRotated(_ pair: TokenPair) throws(StoreError) {
        try lock.withExclusiveLock { () throws(StoreError) in try writeIfNewer(pair) }
    }

    /// Writes `pair` unless the file already holds its generation or a newer one. Lock held.
    func writeIfNewer(_ pair: TokenPair) throws(StoreError) {
        let current = try? loadTokens()
        if let stored = current?.pair, stored.generation >= pair.generation { return }
        try encode(TokenRecord(pair: pair, everHeld: true, rejected: false), to: tokensPath)
    }

    public func markRejected(refreshToken: String) {
        try? lock.withExclusiveLock { () throws(StoreError) in
            var record = try loadTokens()
            guard record.pair?.refreshToken == refreshToken, !record.rejected else { return }
            record.rejected = true
            try encode(record, to: tokensPath)
        }
    }

    public func saveTokens(_ pair: TokenPair) throws(StoreError) -> String? {
        try lock.withExclusiveLock { () throws(StoreError) in
            let current = try? loadTokens()
            var stored = pair
            stored.generation = max(pair.generation, (current?.pair?.generation ?? 0) + 1)
            try encode(TokenRecord(pair: stored, everHeld: true, rejected: false), to: tokensPath)
        }
        return nil
    }

    /// Writes `record` exactly as given (generation included), for a store that keeps this file as its
    /// local copy.
    func write(_ record: TokenRecord) throws(StoreError) {
        try lock.withExclusiveLock { () throws(StoreError) in
            try encode(record, to: tokensPath)
        }
    }

    public func clearTokens() throws(StoreError) {
        try lock.withExclusiveLock { () throws(StoreError) in
            let current = try loadTokens()
            let everHeld = current.everHeld || current.pair != nil
            try encode(TokenRecord(pair: nil, everHeld: everHeld, rejected: false), to: tokensPath)
        }
    }

    public func loadLastResult() throws(StoreError) -> PersistedResult? {
        try decode(PersistedResult.self, from: resultPath)
    }

    public func saveLastResult(_ result: PersistedResult) throws(StoreError) {
        try encode(result, to: resultPath)
    }

    public var isReachable: Bool {
        access(directory, W_OK) == 0
    }

    private func decode<T: Decodable>(_ type: T.Type, from path: String) throws(StoreError) -> T? {
        guard let bytes = try AtomicFile.read(path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw StoreError("parse \(path)", "not valid JSON of the expected shape")
        }
    }

    private func encode<T: Encodable>(_ value: T, to path: String) throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw StoreError("encode \(path)", "\(error)")
        }
        try AtomicFile.write(Array(data), to: path)
    }
}
