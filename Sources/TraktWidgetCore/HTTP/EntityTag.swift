/// Strong entity tags over the exact body bytes, and `If-None-Match` matching.
public enum EntityTag {
    /// `"<16 hex digits>"`: FNV-1a 64 of the body. Identical bytes give an identical tag on every host,
    /// so tags survive restarts and agree across several responders.
    public static func of(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// RFC 9110 §13.1.2: weak comparison, a comma-separated list, or `*`. A malformed header simply
    /// matches nothing, so the client gets the full body rather than an error.
    public static func ifNoneMatch(_ header: String?, matches etag: String) -> Bool {
        guard let header else { return false }
        let opaque = strip(etag)
        for candidate in header.split(separator: ",") {
            let tag = candidate.trimmingSpaces()
            if tag == "*" { return true }
            if let value = parse(tag), value == opaque { return true }
        }
        return false
    }

    private static func strip(_ etag: String) -> Substring {
        parse(Substring(etag)) ?? Substring(etag)
    }

    /// The opaque part of `"x"` or `W/"x"`, or nil when the tag is malformed.
    private static func parse(_ tag: Substring) -> Substring? {
        var tag = tag
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.count >= 2, tag.first == "\"", tag.last == "\"" else { return nil }
        let inner = tag.dropFirst().dropLast()
        return inner.contains("\"") ? nil : inner
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result = result.dropFirst() }
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        return result
    }
}
