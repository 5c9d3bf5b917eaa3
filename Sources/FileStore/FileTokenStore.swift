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

    private var tokensPath: String { directory + "/tokens.json" }
    private var resultPath: String { directory + "/last-result.json" }

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

    public func rotate(_ decide: (TokenRecord) -> RotationDecision) throws(StoreError) -> (RotationDecision, TokenRecord) {
        try surface("rotate tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in
                var record = try readTokens()
                let decision = decide(record)
                switch decision {
                case .replace(let pair):
                    record = TokenRecord(pair: pair, everHeld: true, rejected: false)
                    try encode(record, to: tokensPath)
                case .rejected:
                    record.rejected = true
                    try encode(record, to: tokensPath)
                case .adopt, .keep:
                    break
                }
                return (decision, record)
            }
        }
    }

    /// Stores `pair` with a generation above the stored one (or its own, when higher).
    public func saveTokens(_ pair: TokenPair) throws(StoreError) {
        try surface("save tokens") { () throws(FileStoreError) in
            try lock.withExclusiveLock { () throws(FileStoreError) in
                let current = try readTokens()
                var stored = pair
                stored.generation = max(pair.generation, (current.pair?.generation ?? 0) + 1)
                try encode(TokenRecord(pair: stored, everHeld: true, rejected: false), to: tokensPath)
            }
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

    public func isReachable() -> Bool {
        Syscalls.isWritable(directory)
    }

    /// The file store's own errors become `StoreError` here, at the protocol's surface.
    private func surface<T>(_ operation: String, _ body: () throws(FileStoreError) -> T) throws(StoreError) -> T {
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
