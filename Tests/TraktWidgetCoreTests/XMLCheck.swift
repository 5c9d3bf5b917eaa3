/// A small well-formedness check for the card tests: balanced tags, quoted attributes, only the five
/// predefined entities (or numeric ones), no forbidden characters. The integration tests parse the
/// same bodies with a real XML parser; this keeps the unit tests fast and dependency-free.
enum XMLCheck {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func wellFormed(_ text: String) throws {
        var stack: [Substring] = []
        var rest = Substring(text)
        var sawRoot = false
        while let open = rest.firstIndex(of: "<") {
            try checkCharacterData(rest[..<open])
            guard let close = rest[open...].firstIndex(of: ">") else { throw Failure(description: "unclosed tag") }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("/") {
                guard stack.popLast() == tag.dropFirst() else { throw Failure(description: "mismatched </\(tag.dropFirst())>") }
                continue
            }
            let selfClosing = tag.hasSuffix("/")
            let body = selfClosing ? tag.dropLast() : tag
            let name = body.prefix { $0 != " " }
            guard !name.isEmpty else { throw Failure(description: "empty tag name") }
            try checkAttributes(body.dropFirst(name.count))
            if stack.isEmpty {
                guard !sawRoot else { throw Failure(description: "second root element") }
                sawRoot = true
            }
            if !selfClosing { stack.append(name) }
        }
        try checkCharacterData(rest)
        guard stack.isEmpty, sawRoot else { throw Failure(description: "unbalanced: \(stack)") }
    }

    private static func checkAttributes(_ text: Substring) throws {
        var rest = text
        while let equals = rest.firstIndex(of: "=") {
            let afterEquals = rest[rest.index(after: equals)...]
            guard afterEquals.first == "\"" else { throw Failure(description: "unquoted attribute") }
            let valueStart = afterEquals.index(after: afterEquals.startIndex)
            guard let end = afterEquals[valueStart...].firstIndex(of: "\"") else { throw Failure(description: "unterminated attribute") }
            try checkCharacterData(afterEquals[valueStart..<end])
            rest = afterEquals[afterEquals.index(after: end)...]
        }
    }

    private static func checkCharacterData(_ text: Substring) throws {
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x3C { throw Failure(description: "raw < in text") }
            if value < 0x20 && value != 9 && value != 10 && value != 13 || value == 0xFFFE || value == 0xFFFF {
                throw Failure(description: "forbidden character U+\(String(value, radix: 16))")
            }
        }
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            guard let semi = rest[amp...].firstIndex(of: ";") else { throw Failure(description: "bare &") }
            let entity = rest[rest.index(after: amp)..<semi]
            guard ["amp", "lt", "gt", "quot", "apos"].contains(entity) || entity.hasPrefix("#") else {
                throw Failure(description: "unknown entity &\(entity);")
            }
            rest = rest[rest.index(after: semi)...]
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
            .replacing("&apos;", with: "'").replacing("&amp;", with: "&")
    }
}
