/// The parameters of a URL query (`a=1&b=x%20y`), percent-decoded, `+` read as a space.
/// A repeated name keeps its first value, as nginx's `$arg_name` does: the cache key nginx builds from
/// those variables must describe the answer the responder gives.
public struct QueryString: Sendable {
    private var values: [String: String] = [:]

    public init(_ query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) ?? "\u{FFFD}" : ""
        }
    }

    /// nil when the escapes do not form UTF-8: the value is then unusable, not silently altered.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - 55
        default: nil
        }
    }

    /// The value, nil when absent or empty: nginx's `$arg_name` is "" for both, so the responder must
    /// not tell them apart either (the cache key is built from those variables).
    public subscript(name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A whole number in `range`, `fallback` when absent. Digits only: no sign, spaces or exponent.
    public func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) -> Result<Int, APIError> {
        guard let text = self[name] else { return .success(fallback) }
        guard text.utf8.count <= 6, text.utf8.allSatisfy({ (48...57).contains($0) }),
              let value = Int(text), range.contains(value)
        else {
            return .failure(.invalidParameter(name, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"))
        }
        return .success(value)
    }
}
