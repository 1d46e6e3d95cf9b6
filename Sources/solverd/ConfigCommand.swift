import ArgumentParser
import Foundation
import SolverConfig
import SolverSecurity

/// `solverd config check FILE` validates a configuration (with the SOLVERD_* overrides of this environment);
/// `solverd config hash-token` prints the SHA-256 to store for a static token read from stdin.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check a configuration file or hash a token for it.",
        subcommands: [Check.self, HashToken.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate FILE; exit 2 naming the key when a value is invalid.")

        @Argument(help: "The YAML file.")
        var file: String

        func run() throws {
            do {
                let config = try SolverdConfig.load(path: file)
                _ = try AsyncBridge.wait { try await JWTVerifier.make(config.auth.jwt) }
                _ = try StaticTokenStore(config.auth.tokens)
                let mode = try ClusterSetup.configuration(config).map { "cluster \($0.endpoint) as \($0.nodeID)" } ?? "embedded"
                announce("\(file): OK (listen \(config.server.host):\(config.server.port), auth \(config.auth.isEnabled ? "on" : "off"), \(mode))")
            } catch let error as ConfigError {
                FileHandle.standardError.write(Data("solverd: invalid configuration: \(error)\n".utf8))
                throw ExitCode(2)
            } catch let error as AuthFailure {
                FileHandle.standardError.write(Data("solverd: invalid configuration: auth.\(error.message)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    struct HashToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-token", abstract: "Read a token on stdin and print its SHA-256 for auth.tokens[].sha256.")

        func run() throws {
            let token = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { throw ValidationError("no token on stdin") }
            announce(StaticTokenStore.sha256Hex(token))
        }
    }
}
