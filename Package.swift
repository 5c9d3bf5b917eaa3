// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "trakt-widget",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trakt-widget", targets: ["trakt-widget"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C at the edges: one system-library target per C library.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),

        // The pure core: models, contract encoding, selection, token and cache policy. No I/O.
        .target(name: "TraktWidgetCore"),

        // The I/O shell: FastCGI transport, libcurl clients, token stores, the refresh engine.
        .target(
            name: "TraktWidgetKit",
            dependencies: ["TraktWidgetCore", "CFastCGI", "CCurl", "CLibPQ", "LetterboxdFeed"]
        ),

        // libxml2's streaming reader, and the Letterboxd RSS feed read with it.
        .target(name: "XMLReading", dependencies: ["CLibXML2"]),
        .target(name: "LetterboxdFeed", dependencies: ["TraktWidgetCore", "XMLReading"]),

        .executableTarget(
            name: "trakt-widget",
            dependencies: [
                "TraktWidgetKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "TraktWidgetCoreTests", dependencies: ["TraktWidgetCore"]),
        .testTarget(name: "TraktWidgetKitTests", dependencies: ["TraktWidgetKit"]),
        .testTarget(name: "LetterboxdFeedTests", dependencies: ["LetterboxdFeed", "XMLReading", "TraktWidgetCore"]),
    ]
)
