import Testing
@testable import UpstreamClients
import CurlClient
import TestSupport

@Suite struct PercentEncodingTests {
    @Test func unreservedCharactersPassThrough() {
        let unreserved = "abcxyzABCXYZ0189-_.~"
        #expect(PercentEncoding.encode(unreserved) == unreserved)
    }

    @Test func everythingElseIsEncodedAsUppercaseHex() {
        #expect(PercentEncoding.encode("a b/c?d#e&f=g+h%i") == "a%20b%2Fc%3Fd%23e%26f%3Dg%2Bh%25i")
        #expect(PercentEncoding.encode("\n\u{1}") == "%0A%01")
        #expect(PercentEncoding.encode("ü千") == "%C3%BC%E5%8D%83")
        #expect(PercentEncoding.encode("") == "")
    }
}
