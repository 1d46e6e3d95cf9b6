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
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // Numerics: formats, kernels, iterative methods, the live residual. No I/O, no Dispatch.
        .target(name: "SolverCore", swiftSettings: kernelSettings, linkerSettings: [.linkedLibrary("m")]),
        // Live sessions: Dispatch scheduler, updates between steps, verification loop, events. No transport.
        .target(name: "SolverSession", dependencies: ["SolverCore"]),
        // JSON messages: decoding and validation of client messages, encoding of events and replies. No sockets.
        .target(name: "SolverWire", dependencies: ["SolverCore", "SolverSession"]),
        // Generators and dense reference solves shared by tests and benchmarks.
        .target(name: "SolverTestSupport", dependencies: ["SolverCore"]),
        .executableTarget(
            name: "solverd",
            dependencies: [
                "SolverCore",
                "SolverSession",
                "SolverServer",
                "SolverMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
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
        // HTTP + WebSocket transport (Sources/SolverServer/LWS) and, later, routes and sessions on top of it.
        .target(name: "SolverServer", dependencies: ["CLibwebsockets", "SolverCore", "SolverSession", "SolverWire"]),
        .testTarget(name: "SolverServerTests", dependencies: ["SolverServer"]),
        // MCP tools over the sessions: stdio (`solverd mcp`) and streamable HTTP at `/mcp` (a ServiceRoute).
        .target(name: "SolverMCP", dependencies: [
            "SolverCore", "SolverSession", "SolverWire", "SolverServer", .product(name: "MCP", package: "swift-sdk"),
        ]),
        .testTarget(name: "SolverMCPTests", dependencies: ["SolverMCP"]),
    ]
)
