// swift-tools-version:6.0
import PackageDescription

// Linux only (Debian 12): the package is built and tested nowhere else, so it declares no other platform.
let package = Package(
    name: "trakt-widget",
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
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // glibc's GNU extensions (thread names, accept4, pipe2), which the Glibc module does not export.
        .systemLibrary(name: "CLinux"),

        // The pure core: models, contract encoding, selection, token and cache policy. No I/O.
        .target(name: "TraktWidgetCore"),

        // The syscall boundary: the one place that calls libc for files, sockets and clocks; errno
        // becomes a typed `Errno` here.
        .target(name: "SystemCalls", dependencies: ["CLinux"]),
        // Threads and the condition lock, with the documented lock order.
        .target(name: "Threads", dependencies: ["SystemCalls", "CLinux"]),
        .target(name: "Logging", dependencies: ["SystemCalls"]),

        // The I/O shell, one concern per target.
        .target(name: "FastCGITransport", dependencies: ["TraktWidgetCore", "CFastCGI", "SystemCalls", "Threads", "Logging"]),
        .target(name: "CurlClient", dependencies: ["TraktWidgetCore", "CCurl"]),
        // systemd's notification socket: readiness, status, and the watchdog heartbeat.
        .target(name: "ServiceManager", dependencies: ["TraktWidgetCore", "CSystemd", "SystemCalls", "Threads", "Logging"]),
        .target(name: "UpstreamClients", dependencies: ["TraktWidgetCore", "CurlClient"]),
        .target(name: "TokenStorage", dependencies: ["TraktWidgetCore"]),
        .target(name: "FileStore", dependencies: ["TraktWidgetCore", "TokenStorage", "SystemCalls", "Threads"]),
        .target(name: "PostgresStore", dependencies: ["TraktWidgetCore", "TokenStorage", "CLibPQ", "SystemCalls", "Threads", "Logging"]),
        .target(
            name: "RefreshEngine",
            dependencies: [
                "TraktWidgetCore", "TokenStorage", "CurlClient", "UpstreamClients", "PosterLookup", "SystemCalls", "Threads",
                "Logging",
            ]
        ),

        // The providers behind `WatchProvider`, one target each, sharing the TMDB poster lookup.
        .target(name: "PosterLookup", dependencies: ["TraktWidgetCore", "CurlClient", "UpstreamClients", "SystemCalls", "Logging"]),
        .target(
            name: "TraktProvider",
            dependencies: ["TraktWidgetCore", "CurlClient", "UpstreamClients", "RefreshEngine", "PosterLookup", "Logging"]
        ),
        .target(
            name: "SimklProvider",
            dependencies: [
                "TraktWidgetCore", "CurlClient", "UpstreamClients", "TokenStorage", "RefreshEngine", "PosterLookup",
                "SystemCalls", "Logging",
            ]
        ),
        // libxml2's streaming reader, the Letterboxd RSS feed read with it, and the provider.
        .target(name: "XMLReading", dependencies: ["CLibXML2"]),
        .target(name: "LetterboxdFeed", dependencies: ["TraktWidgetCore", "XMLReading"]),
        .target(
            name: "LetterboxdProvider",
            dependencies: ["TraktWidgetCore", "CurlClient", "UpstreamClients", "PosterLookup", "LetterboxdFeed"]
        ),
        // The composition root: configuration, and the wiring of the pieces above into one runtime.
        .target(
            name: "Composition",
            dependencies: [
                "TraktWidgetCore", "SystemCalls", "Logging", "CurlClient", "UpstreamClients", "TokenStorage",
                "FileStore", "PostgresStore", "RefreshEngine", "PosterLookup", "TraktProvider", "SimklProvider",
                "LetterboxdProvider",
            ]
        ),

        .executableTarget(
            name: "trakt-widget",
            dependencies: [
                "Composition", "TraktWidgetCore", "SystemCalls", "Threads", "Logging", "FastCGITransport", "CurlClient",
                "UpstreamClients", "TokenStorage", "RefreshEngine", "ServiceManager", "SimklProvider",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test helpers shared by the shell's test targets: the Python fake upstream, temp dirs, threads.
        .target(name: "TestSupport", dependencies: ["TraktWidgetCore", "CurlClient", "UpstreamClients"], path: "Tests/TestSupport"),

        .testTarget(name: "TraktWidgetCoreTests", dependencies: ["TraktWidgetCore"]),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(
            name: "FastCGITransportTests",
            dependencies: ["FastCGITransport", "TraktWidgetCore", "SystemCalls", "Threads", "TestSupport"]
        ),
        .testTarget(name: "CurlClientTests", dependencies: ["CurlClient", "UpstreamClients", "TraktWidgetCore", "TestSupport"]),
        .testTarget(name: "UpstreamClientsTests", dependencies: ["UpstreamClients", "CurlClient", "TraktWidgetCore", "TestSupport"]),
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore"]),
        .testTarget(name: "FileStoreTests", dependencies: ["FileStore", "TokenStorage", "SystemCalls", "TraktWidgetCore", "TestSupport"]),
        .testTarget(
            name: "RefreshEngineTests",
            dependencies: [
                "RefreshEngine", "TokenStorage", "FileStore", "CurlClient", "UpstreamClients", "SystemCalls",
                "TraktWidgetCore", "TestSupport", "PosterLookup", "TraktProvider", "SimklProvider",
            ]
        ),
        .testTarget(name: "LetterboxdFeedTests", dependencies: ["LetterboxdFeed", "XMLReading", "TraktWidgetCore"]),
        .testTarget(
            name: "CompositionTests",
            dependencies: ["Composition", "CurlClient", "TraktWidgetCore", "TestSupport", "SimklProvider", "LetterboxdProvider"]
        ),
    ]
)
