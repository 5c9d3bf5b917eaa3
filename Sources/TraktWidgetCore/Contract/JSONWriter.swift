/// A minimal JSON writer that keeps keys in the order they are written.
///
/// The contract promises the original server's key order, which `JSONEncoder` does not guarantee.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = [false]

    public init() {
        bytes.reserveCapacity(512)
    }

    public mutating func beginObject(_ key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    public mutating func beginArray(_ key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    public mutating func string(_ key: String?, _ value: String?) {
        prefix(key)
        guard let value else { return appendRaw("null") }
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func int(_ key: String?, _ value: Int?) {
        prefix(key)
        appendRaw(value.map(String.init) ?? "null")
    }

    /// A decimal such as a rating: `3.5`, `4` for a whole number, `null` for nil or a non-finite value.
    public mutating func number(_ key: String?, _ value: Double?) {
        prefix(key)
        guard let value, value.isFinite else { return appendRaw("null") }
        if value == value.rounded(), abs(value) < 1e15 {
            appendRaw(String(Int(value)))
        } else {
            appendRaw(String(value))
        }
    }

    public mutating func bool(_ key: String?, _ value: Bool) {
        prefix(key)
        appendRaw(value ? "true" : "false")
    }

    public mutating func null(_ key: String?) {
        prefix(key)
        appendRaw("null")
    }

    private mutating func prefix(_ key: String?) {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        if let key {
            Self.appendQuoted(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    private mutating func appendRaw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Escapes per RFC 8259. Non-ASCII UTF-8 passes through unchanged ("UTF-8 in, UTF-8 out"); `<`, `>`
    /// and `&` are escaped so the body is safe to inline into HTML by a careless consumer.
    static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 48 + nibble : 87 + nibble
    }
}
