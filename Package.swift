// swift-tools-version:6.0
// The layers point one way: SolverCore ← SolverSession ← SolverWire ← SolverServer ← solverd.
import PackageDescription

/// Release builds of the numeric kernels skip exclusivity checks: the kernels hold raw buffers and never alias them.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "solverd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "solverd", targets: ["solverd"]),
        .library(name: "SolverCore", targets: ["SolverCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", .upToNextMinor(from: "0.2.0")),
    ],
    targets: [
        // Numerics: formats, kernels, iterative methods, the live residual. No I/O, no Dispatch.
        .target(name: "SolverCore", dependencies: ["CSuiteSparse"], swiftSettings: kernelSettings,
                linkerSettings: [.linkedLibrary("m")]),
        // SuiteSparse 5.12 from the system (Debian libsuitesparse-dev, no pkg-config file): CHOLMOD, KLU, AMD, COLAMD.
        .systemLibrary(name: "CSuiteSparse", providers: [.apt(["libsuitesparse-dev"])]),
        // Live sessions: Dispatch scheduler, updates between steps, verification loop, events. No transport.
        .target(name: "SolverSession", dependencies: [
            "SolverCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // JSON messages: decoding and validation of client messages, encoding of events and replies. No sockets.
        .target(name: "SolverWire", dependencies: ["SolverCore", "SolverSession"]),
        // Dense reference solves shared by tests and benchmarks (the generators are SolverCore's).
        .target(name: "SolverTestSupport", dependencies: ["SolverCore"]),
        .executableTarget(
            name: "solverd",
            dependencies: [
                "SolverCore",
                "SolverSession",
                "SolverWire",
                "SolverServer",
                "SolverWire",
                "SolverConfig",
                "SolverSecurity",
                "SolverMCP",
                "SolverCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            plugins: ["GitCommit"]
        ),
        // Writes `gitCommit` (the short commit id) for `solverd --version` whenever HEAD moves, outside the source tree.
        .plugin(name: "GitCommit", capability: .buildTool()),
        .executableTarget(
            name: "solverd-bench",
            dependencies: ["SolverCore", "SolverSession", "SolverTestSupport"],
            path: "bench/Sources/solverd-bench",
            swiftSettings: kernelSettings
        ),
        .testTarget(name: "SolverCoreTests", dependencies: ["SolverCore", "SolverTestSupport"]),
        .testTarget(name: "SolverSessionTests", dependencies: ["SolverSession", "SolverTestSupport"]),
        .testTarget(name: "SolverWireTests", dependencies: ["SolverWire", "SolverTestSupport"]),
        // libwebsockets 4.1.6 from the system (Debian libwebsockets-dev); the shim re-exports macros Swift cannot see.
        .systemLibrary(name: "CLibwebsockets", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),
        // zlib from the system (Debian zlib1g-dev), for gzip response bodies.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // HTTP + WebSocket transport (Sources/SolverServer/LWS) and, later, routes and sessions on top of it.
        .target(name: "SolverServer", dependencies: [
            "CLibwebsockets", "CZlib", "SolverCore", "SolverSession", "SolverWire", "SolverSecurity",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .testTarget(name: "SolverServerTests", dependencies: ["SolverServer"]),
        // SolverService in process (routes, auth, WebSocket commands) through a socket-free harness.
        .testTarget(name: "SolverServiceTests", dependencies: [
            "SolverServer", "SolverSession", "SolverCore", "SolverWire", "SolverSecurity", "SolverTestSupport",
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        // Credentials (hashed static tokens, JWT), principals and token-bucket limits. No transport.
        .target(name: "SolverSecurity", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        .testTarget(name: "SolverSecurityTests", dependencies: [
            "SolverSecurity",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        // solverd.yaml: parsing, SOLVERD_* overrides, validation with errors naming the key.
        .target(name: "SolverConfig", dependencies: ["SolverSecurity", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SolverConfigTests", dependencies: ["SolverConfig"]),
        // MCP tools over the sessions: stdio (`solverd mcp`) and streamable HTTP at `/mcp` (a ServiceRoute).
        .target(name: "SolverMCP", dependencies: [
            "SolverCore", "SolverSession", "SolverWire", "SolverServer", .product(name: "MCP", package: "swift-sdk"),
        ]),
        .testTarget(name: "SolverMCPTests", dependencies: ["SolverMCP"]),
        // hiredis 0.14 from the system (Debian libhiredis-dev), used only by SolverCluster/Redis.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // Cluster mode on Redis: leases with fencing, the durable update journal, snapshots, event fan-out, failover.
        .target(name: "SolverCluster", dependencies: [
            "CHiredis", "SolverCore", "SolverSession", "SolverWire", "SolverServer", "SolverSecurity",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SolverClusterTests", dependencies: ["SolverCluster"]),
        .executableTarget(
            name: "solverd-bench-cluster",
            dependencies: ["SolverCluster", "SolverConfig", "SolverCore", "SolverSession", "SolverTestSupport"],
            path: "bench/Sources/solverd-bench-cluster"
        ),
    ]
)
