import Testing
import TraktWidgetCore

@Suite struct ImageSettingsTests {
    @Test func defaults() {
        let images = ImageSettings()
        #expect(images.baseURL == "https://image.tmdb.org/t/p")
        #expect(images.posterSize == "w500")
        #expect(images.posterURL(for: "/abc.jpg") == "https://image.tmdb.org/t/p/w500/abc.jpg")
    }

    @Test func nilOrEmptyPathGivesNil() {
        #expect(ImageSettings().posterURL(for: nil) == nil)
        #expect(ImageSettings().posterURL(for: "") == nil)
    }

    @Test func slashesAreNormalised() {
        let images = ImageSettings(baseURL: "https://img.example/t/p/", posterSize: "original")
        #expect(images.posterURL(for: "abc.jpg") == "https://img.example/t/p/original/abc.jpg")
        #expect(images.posterURL(for: "/abc.jpg") == "https://img.example/t/p/original/abc.jpg")
    }
}
