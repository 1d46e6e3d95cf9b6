import Foundation
import MCP
import SolverCore
import SolverSession
import SolverWire
import Testing
@testable import SolverMCP

/// The tools in process: argument decoding through the wire decoders, results and tool errors.
struct SolverToolboxTests {
    static let planMatrix: Value = [
        "rows": 3, "cols": 3, "format": "csr",
        "data": ["values": [2, -1, -1, 2, -1, -1, 2], "row_indices": [0, 1, 0, 1, 2, 1, 2], "col_pointers": [0, 2, 5, 7]],
    ]

    let toolbox = SolverToolbox(registry: SessionRegistry())

    func call(_ name: String, _ arguments: [String: Value]) async throws -> (isError: Bool, json: JSONValue) {
        let result = try await toolbox.call(name, arguments: arguments, transport: "test", progress: nil)
        guard case .text(let text, _, _)? = result.content.first else { Issue.record("no text content"); return (true, .null) }
        return (result.isError ?? false, try JSONReader.parse(text))
    }

    @Test func solvesThePlanExample() async throws {
        let (isError, json) = try await call("sublinear_solver_stream", ["matrix": Self.planMatrix, "vector": [1, 2, 3]])
        #expect(!isError)
        #expect(json["converged"] == .bool(true))
        guard case .numbers(let x)? = json["solution"] else { Issue.record("no solution: \(json)"); return }
        for (value, expected) in zip(x, [2.5, 4, 3.5]) { #expect(abs(value - expected) < 1e-9) }
    }

    @Test(arguments: [
        (["vector": [1, 2, 3]] as [String: Value], "missing_field", "matrix"),
        (["matrix": planMatrix, "vector": [1, 2, 3], "stream_options": ["swarm_coordination": 1]], "invalid_type",
         "stream_options.swarm_coordination"),
        (["matrix": planMatrix, "vector": [1, 2, 3], "options": 5, "stream_options": ["swarm_coordination": true]],
         "invalid_type", "options"),
        (["matrix": planMatrix, "vector": [1, 2, 3], "timeout_ms": 1e9], "invalid_argument", "timeout_ms"),
        (["matrix": planMatrix, "vector": [1, 2, 3], "options": ["tolerance": 2]], "invalid_argument", "options.tolerance"),
    ])
    func solveArgumentErrorsNameTheField(arguments: [String: Value], code: String, field: String) async throws {
        let (isError, json) = try await call("sublinear_solver_stream", arguments)
        #expect(isError)
        #expect(json["error"]?["code"] == .string(code))
        #expect(json["error"]?["field"] == .string(field))
    }

    @Test func streamOptionsMapOntoTheSolveRequest() throws {
        let json = JSONValue(arguments: [
            "matrix": Self.planMatrix, "vector": [1, 2, 3], "method": "cg", "timeout_ms": 0, "max_solution_entries": 2,
            "stream_options": ["real_time": false, "verification_enabled": false, "swarm_coordination": true],
            "options": ["tolerance": 1e-6],
        ])
        let args = try SolveStreamTool.Arguments.decode(json, limits: MatrixLimits())
        #expect(args.realTime == false)
        #expect(args.timeout == .zero)
        #expect(args.maxSolutionEntries == 2)
        #expect(args.request.spec.options.method == .cg)
        #expect(args.request.spec.options.tolerance == 1e-6)
        #expect(args.request.spec.options.swarmEnabled)
        #expect(args.request.spec.options.flowNexus?.verificationStrategy == "none")
    }

    @Test func oneShotSolveClosesItsSession() async throws {
        let (isError, json) = try await call("solve", ["matrix": Self.planMatrix, "vector": [1, 2, 3], "epsilon": 1e-12])
        #expect(!isError)
        #expect(json["type"] == .string("solve_result") && json["tolerance"] == .number(1e-12))
        #expect(toolbox.backend.location == "in_process")
        let service = try await toolbox.backend.service()
        #expect(service.sessions.isEmpty)
    }

    @Test func analysisAndPageRankRunInProcess() async throws {
        let (analysisError, analysis) = try await call("analyze_matrix", ["matrix": Self.planMatrix])
        #expect(!analysisError && analysis["definiteness"]?["verdict"] == .string("positive_definite"))
        let (rankError, ranks) = try await call("page_rank", ["edges": [[0, 1], [1, 0], [1, 2]]])
        #expect(!rankError && ranks["nodes"] == .number(3) && ranks["dangling_nodes"] == .number(1))
    }

    @Test func unknownToolIsAProtocolError() async {
        await #expect(throws: MCPError.self) {
            _ = try await toolbox.call("nope", arguments: nil, transport: "test", progress: nil)
        }
    }

    @Test func everyToolHasAnObjectSchema() {
        #expect(Set(toolbox.definitions.map(\.name)) == [
            "sublinear_solver_stream", "solver_verification", "solver_push_costs", "solver_status", "solver_solution",
            "solve", "estimate_entry", "analyze_matrix", "page_rank"])
        for tool in toolbox.definitions {
            #expect(tool.inputSchema.objectValue?["type"] == "object", "\(tool.name)")
        }
    }
}

struct MCPBridgeTests {
    @Test func numberArraysBecomeCompact() {
        #expect(JSONValue(mcp: [1, 2.5]) == .numbers([1, 2.5]))
        #expect(JSONValue(mcp: [1, "a"]) == .array([.number(1), .string("a")]))
        #expect(JSONValue(mcp: []) == .array([]))
    }

    @Test func spliceAddsMembers() throws {
        let spliced = JSONSplice.appending(to: Array(#"{"a":1}"#.utf8)) { $0.field("b", true) }
        #expect(try JSONReader.parse(spliced) == .object(["a": .number(1), "b": .bool(true)]))
    }

    @Test(arguments: [
        ("http://localhost:8080", "http://localhost:*", true), ("http://localhost", "http://localhost:*", false),
        ("http://localhost:80x", "http://localhost:*", false), ("https://a.example", "https://a.example", true),
        ("http://localhost.evil:1", "http://localhost:*", false),
    ])
    func originPatterns(origin: String, pattern: String, allowed: Bool) {
        #expect(MCPOriginValidator.matches(origin, pattern) == allowed)
    }
}
