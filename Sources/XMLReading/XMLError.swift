/// Why a document could not be read. libxml2's own message is not kept: it may quote the document.
public enum XMLError: Error, Equatable, Sendable {
    /// Not well-formed XML (or not XML at all), found at the given 1-based line.
    case notWellFormed(line: Int)
    /// libxml2 could not even start (out of memory).
    case couldNotStart
}
