import FoundationEssentials
import SystemCalls
import TokenStorage
import TraktWidgetCore

/// The embedded default store: JSON files in the state directory, replaced atomically, mode 0600,
/// under a `flock` so several processes on one host never refresh the same token twice.
public final class FileTokenStore: TokenStore {
    public let kind = "file"
    public let directory: String
    private let lock: FileLock

    public var tokensPath: String { directory + "/tokens.json" }
    private var resultPath: String { directory + "/last-result.json" }
    public var location: String { tokensPath }

    public init(directory: String) throws(StoreError) {
        self.directory = directory
        do throws(FileStoreError) {
            do {
                try Syscalls.makeDirectory(directory, permissions: 0o700)
            } catch {
                throw .system(operation: "create state directory \(directory)", error)
            }
            lock = try FileLock(path: directory + "/store.lock")
        } catch {
            throw StoreError("open the state directory", cause: error)
        }
    }

    public func loadTokens() throws(StoreError) -> TokenRecord {
        try surface("read tokens") { () throws(FileStoreError) in try readTokens() }
    }

    public func lockRotation(lastResort: Bool) throws(StoreError) -> any RotationLock {
        try surface("lock tokens") { () throws(FileStoreError) in try lock.acquire() }
        return FileRotationLock(store: self, lock: lock)
    }

    public func saveRotated(_ pair: TokenPair) throws(StoreError) {
        try surface("write tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in try writeIfNewer(pair) }
        }
    }

    /// Writes `pair` unless the file already holds its generation or a newer one. Lock held.
    func writeIfNewer(_ pair: TokenPair) throws(FileStoreError) {
        // An unreadable file holds nothing newer: the pair Trakt just issued replaces it.
        if let stored = (try? readTokens())?.pair, stored.generation >= pair.generation { return }
        try encode(TokenRecord(pair: pair, everHeld: true, rejected: false), to: tokensPath)
    }

    public func markRejected(refreshToken: String) {
        try? lock.withExclusiveLock { () throws(FileStoreError) in
            var record = try readTokens()
            guard record.pair?.refreshToken == refreshToken, !record.rejected else { return }
            record.rejected = true
            try encode(record, to: tokensPath)
        }
    }

    /// Stores `pair` with a generation above the stored one (or its own, when higher).
    public func saveTokens(_ pair: TokenPair) throws(StoreError) -> String? {
        try surface("save tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in
                let current = try? readTokens()
                var stored = pair
                stored.generation = max(pair.generation, (current?.pair?.generation ?? 0) + 1)
                try encode(TokenRecord(pair: stored, everHeld: true, rejected: false), to: tokensPath)
            }
        }
        return nil
    }

    /// Writes `record` exactly as given (generation included), for a store that keeps this file as its
    /// local copy.
    public func write(_ record: TokenRecord) throws(StoreError) {
        try surface("write tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in try encode(record, to: tokensPath) }
        }
    }

    public func clearTokens() throws(StoreError) {
        try surface("clear tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in
                let current = try readTokens()
                let everHeld = current.everHeld || current.pair != nil
                try encode(TokenRecord(pair: nil, everHeld: everHeld, rejected: false), to: tokensPath)
            }
        }
    }

    public func loadLastResult() throws(StoreError) -> PersistedResult? {
        try surface("read last result") { () throws(FileStoreError) in try decode(PersistedResult.self, from: resultPath) }
    }

    public func saveLastResult(_ result: PersistedResult) throws(StoreError) {
        try surface("write last result") { () throws(FileStoreError) in try encode(result, to: resultPath) }
    }

    public var isReachable: Bool {
        Syscalls.isWritable(directory)
    }

    /// A file store's problems are in each error already.
    public var lastProblem: String? { nil }

    /// The file store's own errors become `StoreError` here, at the protocol's surface.
    func surface<T>(_ operation: String, _ body: () throws(FileStoreError) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw StoreError(operation, cause: error)
        }
    }

    private func readTokens() throws(FileStoreError) -> TokenRecord {
        try decode(TokenRecord.self, from: tokensPath) ?? TokenRecord()
    }

    private func decode<T: Decodable>(_ type: T.Type, from path: String) throws(FileStoreError) -> T? {
        guard let bytes = try AtomicFile.read(path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .unreadable(path: path)
        }
    }

    private func encode<T: Encodable>(_ value: T, to path: String) throws(FileStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw .encoding(path: path)
        }
        try AtomicFile.write(Array(data), to: path)
    }
}
