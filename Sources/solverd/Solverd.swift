import ArgumentParser
import Foundation
import SolverCore
import SolverServer

/// The solverd command line: `serve` runs the service; `solve`, `estimate`, `analyze`, `pagerank`, `generate`
/// and `bench` work offline; `mcp` serves the MCP tools on stdio.
@main
struct Solverd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solverd",
        abstract: "A real-time sparse linear-system solver service.",
        version: versionLine,
        subcommands: [ServeCommand.self, ConfigCommand.self, SolveCommand.self, EstimateCommand.self, AnalyzeCommand.self,
                      PageRankCommand.self, GenerateCommand.self, BenchCommand.self, MCPCommand.self, OpenAPICommand.self]
    )

    /// `solverd 0.3.0 (git 896270b)`; `gitCommit` is generated at build time by Plugins/GitCommit.
    static let versionLine = "solverd \(SolverdVersion.number) (git \(gitCommit))"

    /// ArgumentParser's own flow, except that usage errors (an unknown flag, a bad or missing value) exit 2 with
    /// the message and the usage, as Unix tools and the rest of solverd do, instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// What the offline commands share: a `SolverError` (bad input, an unreadable file) is reported on stderr as
/// `solverd NAME: …` with exit code 2.
enum CommandErrors {
    static func reporting(_ name: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as SolverError {
            FileHandle.standardError.write(Data("solverd \(name): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
