/// One step of the pull reader: an element opening or closing, or character data (text and CDATA,
/// entities already decoded by libxml2).
public enum XMLNode: Equatable, Sendable {
    case start(XMLName, depth: Int, isEmpty: Bool)
    case end(XMLName, depth: Int)
    case text(String)
}
