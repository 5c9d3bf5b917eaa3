import Testing
import TraktWidgetCore
@testable import Composition
import LetterboxdProvider
import SimklProvider

@Suite struct ProviderConfigurationTests {
    static let simkl = ["SIMKL_CLIENT_ID": "simkl-cid"]
    static let letterboxd = ["LETTERBOXD_USERNAME": "dave"]
    static let trakt = ["TRAKT_CLIENT_ID": "cid-123", "TRAKT_USERNAME": "someone"]

    private func variable(_ environment: [String: String]) -> String? {
        do {
            _ = try Configuration(environment: environment)
            return nil
        } catch {
            return error.variable
        }
    }

    @Test func traktIsTheDefault() throws {
        #expect(try Configuration(environment: Self.trakt).provider == .trakt)
        // With Trakt configured, another provider's credentials do not change the default.
        #expect(try Configuration(environment: Self.trakt.merging(Self.simkl) { a, _ in a }).provider == .trakt)
    }

    @Test func theOnlyConfiguredProviderIsChosen() throws {
        let simkl = try Configuration(environment: Self.simkl)
        #expect(simkl.provider == .simkl)
        #expect(simkl.simkl?.clientID == "simkl-cid")
        #expect(simkl.simkl?.apiURL == "https://api.simkl.com")
        #expect(simkl.trakt == nil)
        let letterboxd = try Configuration(environment: Self.letterboxd)
        #expect(letterboxd.provider == .letterboxd)
        #expect(letterboxd.letterboxd?.feedURL == "https://letterboxd.com/dave/rss/")
    }

    @Test func explicitChoiceAndOverrides() throws {
        let configuration = try Configuration(environment: Self.trakt.merging([
            "WATCH_PROVIDER": "letterboxd", "LETTERBOXD_USERNAME": "dave", "LETTERBOXD_URL": "http://127.0.0.1:9/",
        ]) { a, _ in a })
        #expect(configuration.provider == .letterboxd)
        #expect(configuration.letterboxd?.feedURL == "http://127.0.0.1:9/dave/rss/")
        let simkl = try Configuration(environment: ["WATCH_PROVIDER": "Simkl", "SIMKL_CLIENT_ID": "x", "SIMKL_API_URL": "http://127.0.0.1:9", "SIMKL_ACCESS_TOKEN": "tok"])
        #expect(simkl.simkl?.apiURL == "http://127.0.0.1:9")
        #expect(simkl.secrets.contains("tok"))
    }

    @Test(arguments: [
        (["WATCH_PROVIDER": "plex"], "WATCH_PROVIDER"),
        (["WATCH_PROVIDER": "simkl"], "SIMKL_CLIENT_ID"),
        (["WATCH_PROVIDER": "simkl", "SIMKL_CLIENT_ID": "has space"], "SIMKL_CLIENT_ID"),
        (["WATCH_PROVIDER": "letterboxd"], "LETTERBOXD_USERNAME"),
        (["LETTERBOXD_USERNAME": "../etc"], "LETTERBOXD_USERNAME"),
        (["SIMKL_CLIENT_ID": "a", "LETTERBOXD_USERNAME": "dave"], "WATCH_PROVIDER"),
        (["WATCH_PROVIDER": "trakt", "SIMKL_CLIENT_ID": "a"], "TRAKT_CLIENT_ID"),
        (["SIMKL_CLIENT_ID": "a", "SIMKL_API_URL": "ftp://x"], "SIMKL_API_URL"),
        (["LETTERBOXD_USERNAME": "dave", "LETTERBOXD_URL": "letterboxd.com"], "LETTERBOXD_URL"),
    ])
    func invalidCombinationsNameTheVariable(_ environment: [String: String], _ variable: String) {
        #expect(self.variable(environment) == variable)
    }
}
