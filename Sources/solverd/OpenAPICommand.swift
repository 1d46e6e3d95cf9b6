import ArgumentParser
import SolverServer

/// `solverd openapi`: prints the OpenAPI 3.1 description the server serves at `/api/v1/openapi.json`
/// (`docs/openapi.json` is this output; a test keeps them equal).
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the HTTP API's OpenAPI 3.1 description (JSON).")

    func run() throws {
        print(OpenAPIDocument.json(version: ServiceConfiguration().version), terminator: "")
    }
}
