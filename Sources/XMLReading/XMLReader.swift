internal import CLibXML2

/// libxml2's streaming reader (`xmlTextReader`) over a buffer in memory. The only Swift that calls
/// libxml2: it owns the reader handle, and turns libxml2's return codes into `XMLError`.
///
/// Safe by construction for untrusted feeds: no network access, no DTD loading, no entity
/// substitution beyond the predefined entities and character references (so no XXE and no
/// "billion laughs"), and libxml2's own depth and size limits.
public final class XMLReader {
    private static let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)

    /// `xmlInitParser` must run once before threads use libxml2; a static is initialised exactly once.
    private static let initialised: Void = xmlInitParser()

    private let reader: xmlTextReaderPtr
    /// libxml2 reads the buffer in place, so it gets a copy that lives exactly as long as the reader.
    private let buffer: UnsafeMutableBufferPointer<CChar>

    public init(_ document: [UInt8]) throws(XMLError) {
        _ = Self.initialised
        buffer = .allocate(capacity: max(1, document.count))
        _ = UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, from: document)
        guard let handle = xmlReaderForMemory(buffer.baseAddress, Int32(clamping: document.count), nil, nil, Self.options) else {
            buffer.deallocate()
            throw .couldNotStart
        }
        reader = handle
        // Errors are reported through `next()`; libxml2 must not print them (they may quote the feed).
        xmlTextReaderSetStructuredErrorHandler(reader, { _, _ in }, nil)
    }

    deinit {
        xmlFreeTextReader(reader)
        buffer.deallocate()
    }

    /// The next element boundary or run of text, nil at the end of the document.
    public func next() throws(XMLError) -> XMLNode? {
        while true {
            switch xmlTextReaderRead(reader) {
            case 1: break
            case 0: return nil
            default: throw .notWellFormed(line: Int(xmlTextReaderGetParserLineNumber(reader)))
            }
            switch xmlTextReaderNodeType(reader) {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                return .start(name, depth: Int(xmlTextReaderDepth(reader)), isEmpty: xmlTextReaderIsEmptyElement(reader) == 1)
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                return .end(name, depth: Int(xmlTextReaderDepth(reader)))
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                return .text(Self.string(xmlTextReaderConstValue(reader)) ?? "")
            default:
                continue
            }
        }
    }

    private var name: XMLName {
        XMLName(
            Self.string(xmlTextReaderConstNamespaceUri(reader)) ?? "",
            Self.string(xmlTextReaderConstLocalName(reader)) ?? ""
        )
    }

    private static func string(_ text: UnsafePointer<xmlChar>?) -> String? {
        text.map { String(cString: $0) }
    }
}
