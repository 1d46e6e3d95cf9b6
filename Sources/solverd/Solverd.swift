import ArgumentParser

/// The solverd command line: `serve` runs the service; `solve` and `estimate` work offline on files.
@main
struct Solverd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solverd",
        abstract: "A real-time sparse linear-system solver service.",
        subcommands: [ServeCommand.self, ConfigCommand.self, SolveCommand.self, EstimateCommand.self, MCPCommand.self,
                      OpenAPICommand.self]
    )
}
