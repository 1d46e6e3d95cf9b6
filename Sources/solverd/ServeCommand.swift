import ArgumentParser
import Dispatch
import Foundation
import SolverCore
import SolverMCP
import SolverServer
import SolverSession

/// `solverd serve`: the service on one port — WebSocket `/ws/solver`, the HTTP API, NDJSON/SSE streams,
/// `/metrics` and the dashboard.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the solver service.")

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one and prints it).")
    var port: Int = 3000

    @Option(name: .customLong("dashboard-dir"), help: "Directory served at / (default: clients/dashboard next to the working directory).")
    var dashboardDirectory: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate; serve HTTPS/WSS.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest HTTP request body (413 beyond).")
    var maxBodyBytes: Int = 50 * 1024 * 1024

    @Option(name: .customLong("max-message-bytes"), help: "Largest WebSocket message (close 1009 beyond).")
    var maxMessageBytes: Int = 16 * 1024 * 1024

    @Option(name: .customLong("cors-origin"), help: "Allowed CORS origin (repeatable; * for any).")
    var corsOrigins: [String] = ["*"]

    @Option(name: .customLong("max-sessions"), help: "Most live sessions.")
    var maxSessions: Int = 10_000

    @Option(name: .customLong("idle-timeout"), help: "Seconds without activity before a session is closed.")
    var idleTimeout: Double = 600

    @Option(name: .customLong("max-session-duration"), help: "Seconds a session may live.")
    var maxSessionDuration: Double = 3600

    @Option(name: .customLong("drain-seconds"), help: "Graceful shutdown deadline.")
    var drainSeconds: Double = 30

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard maxBodyBytes > 0, maxMessageBytes > 0, maxSessions > 0, idleTimeout > 0, maxSessionDuration > 0 else {
            throw ValidationError("limits must be positive")
        }
    }

    func run() throws {
        var limits = SessionLimits()
        limits.maxSessions = maxSessions
        limits.idleTimeout = idleTimeout
        limits.maxDuration = maxSessionDuration
        let registry = SessionRegistry(limits: limits)

        var service = ServiceConfiguration()
        service.corsOrigins = corsOrigins
        service.dashboardDirectory = dashboardDirectory ?? Self.defaultDashboardDirectory()
        service.staticMounts = [("/vendor/", "/usr/share/javascript")]
        service.matrixLimits = limits.matrix
        service.routes.append(MCPRoute(registry: registry))
        let handler = SolverService(registry: registry, configuration: service)

        var transport = TransportConfiguration()
        transport.host = host
        transport.port = port
        transport.maxBodyBytes = maxBodyBytes
        transport.maxMessageBytes = maxMessageBytes
        transport.tlsCertificatePath = tlsCertificate
        transport.tlsPrivateKeyPath = tlsKey
        let server = TransportServer(configuration: transport, handler: handler)
        do {
            try server.start()
        } catch {
            FileHandle.standardError.write(Data("solverd: cannot listen on \(host):\(port): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let scheme = tlsCertificate == nil ? "http" : "https"
        announce("solverd listening on \(scheme)://\(host):\(server.port ?? port) (WebSocket /ws/solver)")
        ShutdownOnSignals.install(server: server, registry: registry, deadlineSeconds: drainSeconds)
        dispatchMain()
    }

    static func defaultDashboardDirectory() -> String? {
        let candidate = FileManager.default.currentDirectoryPath + "/clients/dashboard"
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }
}

/// SIGTERM/SIGINT start a graceful drain: stop accepting, send final records, close WebSockets with 1001, end
/// streams, close sessions, exit 0 within the deadline.
enum ShutdownOnSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(server: TransportServer, registry: SessionRegistry, deadlineSeconds: Double) {
        let queue = DispatchQueue(label: "solverd.signals")
        for signo in [SIGTERM, SIGINT] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler {
                announce("solverd: draining (signal \(signo))")
                let deadline = ContinuousClock.now + .milliseconds(Int(deadlineSeconds * 1000))
                Task.detached {
                    await server.shutdown(deadline: deadline)
                    registry.closeAll(reason: "shutdown", message: "the server shut down")
                    announce("solverd: stopped")
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Prints a line and flushes at once: scripts and tests read these lines from a pipe.
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
