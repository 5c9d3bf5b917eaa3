import FoundationEssentials

/// Poster bytes ready to inline as a `data:` URI: an SVG shown through `<img>` loads nothing from the
/// network, so the image travels inside the card. Encoded once when fetched, not per render.
public struct PosterImage: Equatable, Sendable {
    public let mimeType: String
    public let base64: String

    /// nil unless the bytes are a JPEG, PNG or WebP image: an HTML error page served as a poster must
    /// become the placeholder, never a broken picture.
    public init?(bytes: [UInt8]) {
        guard let type = Self.sniff(bytes) else { return nil }
        mimeType = type
        base64 = Data(bytes).base64EncodedString()
    }

    static func sniff(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return "image/webp"
        }
        return nil
    }

    /// The `href` value; its length counts against the card's size budget.
    public var dataURI: String {
        "data:\(mimeType);base64,\(base64)"
    }
}
