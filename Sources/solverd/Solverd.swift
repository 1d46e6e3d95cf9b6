import ArgumentParser
import SolverServer

/// The solverd command line: `serve` runs the service; `solve` and `estimate` work offline on files.
@main
struct Solverd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solverd",
        abstract: "A real-time sparse linear-system solver service.",
        version: versionLine,
        subcommands: [ServeCommand.self, ConfigCommand.self, SolveCommand.self, EstimateCommand.self, MCPCommand.self,
                      OpenAPICommand.self]
    )

    /// `solverd 0.3.0 (git 896270b)`; `gitCommit` is generated at build time by Plugins/GitCommit.
    static let versionLine = "solverd \(SolverdVersion.number) (git \(gitCommit))"
}
