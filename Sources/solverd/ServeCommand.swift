import ArgumentParser
import Dispatch
import Foundation
import Logging
import SolverCluster
import SolverConfig
import SolverCore
import SolverMCP
import SolverSecurity
import SolverServer
import SolverSession

/// `solverd serve`: the service on one port — WebSocket `/ws/solver`, the HTTP API, NDJSON/SSE streams,
/// `/metrics` and the dashboard.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the solver service.",
        discussion: "Settings come from --config (YAML), then SOLVERD_* environment variables, then these flags.")

    @Option(name: .long, help: "YAML configuration file (see Config/solverd.yaml).")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (0 picks a free one and prints it; default 3000).")
    var port: Int?

    @Option(name: .customLong("dashboard-dir"), help: "Directory served at / (default: share/solverd/dashboard next to the installed binary, else the checkout's clients/dashboard).")
    var dashboardDirectory: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate; serve HTTPS/WSS.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest HTTP request body (413 beyond).")
    var maxBodyBytes: Int?

    @Option(name: .customLong("max-message-bytes"), help: "Largest WebSocket message (close 1009 beyond).")
    var maxMessageBytes: Int?

    @Option(name: .customLong("cors-origin"), help: "Browser origin allowed besides the server's own, e.g. https://app.example or http://localhost:* (repeatable; * for any; server.cors_origins).")
    var corsOrigins: [String] = []

    @Option(name: .customLong("allowed-host"), help: "Host name served besides loopback names on a loopback bind, e.g. a reverse proxy's (repeatable; .example.com for a domain; server.allowed_hosts).")
    var allowedHosts: [String] = []

    @Option(name: .customLong("service-threads"), help: "Network service threads sharing the port (0: one per core, at most 2; server.service_threads).")
    var serviceThreads: Int?

    @Option(name: .customLong("max-sessions"), help: "Most live sessions.")
    var maxSessions: Int?

    @Option(name: .customLong("max-factor-bytes"), help: "Largest predicted sparse factor of one session, in bytes (limits.max_factor_bytes).")
    var maxFactorBytes: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds without activity before a session is closed.")
    var idleTimeout: Double?

    @Option(name: .customLong("max-session-duration"), help: "Seconds a session may live.")
    var maxSessionDuration: Double?

    @Option(name: .customLong("drain-seconds"), help: "Graceful shutdown deadline.")
    var drainSeconds: Double?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line).")
    var logFormat: String?

    @Flag(name: .long, help: "Allow a non-loopback --host without auth configured.")
    var insecure = false

    @Option(name: .long, help: "Join a cluster on Redis: redis://[USER:PASSWORD@]HOST[:PORT][/DB] or redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB] (sessions persist, fail over, serve from any node); \"\" runs embedded (cluster.redis_url).")
    var cluster: String?

    @Option(name: .customLong("node-id"), help: "This node's id in the cluster (default: hostname-pid; cluster.node_id).")
    var nodeID: String?

    @Option(name: .customLong("lease-ms"), help: "Cluster session lease in milliseconds (default 3000; cluster.lease_ms).")
    var leaseMilliseconds: Int?

    @Option(name: .customLong("wait-replicas"), help: "Redis replicas that must confirm each journal write before its ack (default 0; cluster.wait_replicas).")
    var waitReplicas: Int?

    @Option(name: .customLong("wait-timeout-ms"), help: "How long a journal write waits for those replicas (default 1000; cluster.wait_timeout_ms).")
    var waitTimeoutMilliseconds: Int?

    @Flag(name: .customLong("fault-inject-wrong-residuals"),
          help: "Test only (cluster): answer distributed verification rounds with wrong residuals, to be outvoted.")
    var faultInjectWrongResiduals = false

    @Flag(name: .customLong("echo-endpoint"), help: "Test only: also serve a WebSocket echo at /ws/echo (conformance runs).")
    var echoEndpoint = false

    /// The file, the environment, then these flags; exit code 2 naming the key when a value is invalid.
    func resolvedConfig() throws -> SolverdConfig {
        do {
            var c = try SolverdConfig.load(path: config)
            c.server.host = host ?? c.server.host
            c.server.port = port ?? c.server.port
            c.server.dashboardDirectory = dashboardDirectory ?? c.server.dashboardDirectory
            c.server.tlsCertificate = tlsCertificate ?? c.server.tlsCertificate
            c.server.tlsKey = tlsKey ?? c.server.tlsKey
            c.server.corsOrigins = corsOrigins.isEmpty ? c.server.corsOrigins : corsOrigins
            c.server.allowedHosts = allowedHosts.isEmpty ? c.server.allowedHosts : allowedHosts
            c.server.drainSeconds = drainSeconds ?? c.server.drainSeconds
            c.server.serviceThreads = serviceThreads ?? c.server.serviceThreads
            c.server.insecure = insecure || c.server.insecure
            c.limits.maxBodyBytes = maxBodyBytes ?? c.limits.maxBodyBytes
            c.limits.maxMessageBytes = maxMessageBytes ?? c.limits.maxMessageBytes
            c.limits.maxSessions = maxSessions ?? c.limits.maxSessions
            c.limits.maxFactorBytes = maxFactorBytes ?? c.limits.maxFactorBytes
            c.sessions.idleTimeoutSeconds = idleTimeout ?? c.sessions.idleTimeoutSeconds
            c.sessions.maxDurationSeconds = maxSessionDuration ?? c.sessions.maxDurationSeconds
            c.logging.level = logLevel ?? c.logging.level
            c.logging.format = logFormat ?? c.logging.format
            if let cluster {
                // The flag decides on its own: a URL joins even if the file says enabled: false; "" runs embedded.
                c.cluster.redisURL = cluster.isEmpty ? nil : cluster
                c.cluster.enabled = nil
            }
            c.cluster.nodeID = nodeID ?? c.cluster.nodeID
            c.cluster.leaseMilliseconds = leaseMilliseconds ?? c.cluster.leaseMilliseconds
            c.cluster.waitReplicas = waitReplicas ?? c.cluster.waitReplicas
            c.cluster.waitTimeoutMilliseconds = waitTimeoutMilliseconds ?? c.cluster.waitTimeoutMilliseconds
            try FlagChecks.check(c)
            try c.validate()
            return c
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("solverd: invalid configuration: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    func run() throws {
        let config = try resolvedConfig()
        let exposition = Observability.bootstrap(config.logging)
        let logger = Logger(label: "solverd")
        let authenticator: Authenticator
        do {
            authenticator = try AsyncBridge.wait { try await Authenticator.make(config.auth) }
        } catch {
            FileHandle.standardError.write(Data("solverd: invalid configuration: auth: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let clusterNode = try ClusterSetup.node(config, faultInjectWrongResiduals: faultInjectWrongResiduals)
        if let clusterNode { try ClusterSetup.checkLogin(clusterNode.configuration, logger: logger) }
        let registry = SessionRegistry(limits: ServiceSetup.sessionLimits(config), scheduler: ServiceSetup.scheduler(config), telemetry: SessionTelemetry(
            logger: Logger(label: "solverd.session"), slowIterationMilliseconds: config.logging.slowIterationMilliseconds),
            journal: clusterNode, swarm: clusterNode)
        var service = ServiceSetup.service(config, authenticator: authenticator, logger: Logger(label: "solverd.service"))
        service.routes.append(MCPRoute(registry: registry))
        if let clusterNode { ClusterSetup.configure(&service, node: clusterNode) }
        service.dashboardDirectory = config.server.dashboardDirectory ?? Self.defaultDashboardDirectory()
        service.commit = gitCommit
        service.metricsExposition = exposition
        let handler = SolverService(registry: registry, configuration: service)
        var transport = ServiceSetup.transport(config)
        transport.latencyStages = registry.telemetry.stages
        let echo = echoEndpoint ? EchoEndpoint(base: handler) : nil
        echo?.configure(&transport)
        let server = TransportServer(configuration: transport, handler: echo.map { $0 as any TransportHandler } ?? handler)
        let host = config.server.host, port = config.server.port
        do {
            try server.start()
        } catch {
            FileHandle.standardError.write(Data("solverd: cannot listen on \(host):\(port): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let scheme = config.server.tlsCertificate == nil ? "http" : "https"
        let mode = authenticator.isOpen ? "open (no auth configured)" : "bearer tokens required"
        logger.info("listening", metadata: ["url": "\(scheme)://\(host):\(server.port ?? port)", "auth": "\(mode)",
                                           "version": "\(Solverd.versionLine)"])
        clusterNode?.start(registry: registry, address: "\(host):\(server.port ?? port)")
        // Before the announcement: a SIGTERM sent as soon as the line is read must drain, not kill.
        ShutdownOnSignals.install(server: server, registry: registry, cluster: clusterNode, deadlineSeconds: config.server.drainSeconds)
        announce("solverd listening on \(scheme)://\(host):\(server.port ?? port) (WebSocket /ws/solver)")
        dispatchMain()
    }

    /// The dashboard found from the executable, so the working directory does not matter (a systemd service runs
    /// in /): an installed `<prefix>/bin/solverd` serves `<prefix>/share/solverd/dashboard`; a build in a checkout
    /// (`.build/<triple>/release/solverd`, which `.build/release` links to) serves the nearest ancestor's
    /// `clients/dashboard`; last, `./clients/dashboard`.
    static func defaultDashboardDirectory() -> String? {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("../share/solverd/dashboard").standardizedFileURL.path)
            for _ in 0..<4 {
                directory = directory.deletingLastPathComponent()
                candidates.append(directory.appendingPathComponent("clients/dashboard").path)
            }
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/clients/dashboard")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
    }
}

/// SIGTERM/SIGINT start a graceful drain: stop accepting, send final records, close WebSockets with 1001, end
/// streams, close sessions, exit 0 within the deadline. In cluster mode the node adopts nothing from the signal on,
/// closing the sessions hands each over (snapshot, release the lease: another node adopts it within a tick), and
/// the node leaves the node list last.
enum ShutdownOnSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(server: TransportServer, registry: SessionRegistry, cluster: ClusterNode?, deadlineSeconds: Double) {
        let queue = DispatchQueue(label: "solverd.signals")
        for signo in [SIGTERM, SIGINT] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler {
                announce("solverd: draining (signal \(signo))")
                cluster?.beginHandover()
                let deadline = ContinuousClock.now + .milliseconds(Int(deadlineSeconds * 1000))
                Task.detached {
                    await server.shutdown(deadline: deadline)
                    registry.closeAll(reason: .shutdown, message: "the server shut down")
                    cluster?.shutdown()
                    announce("solverd: stopped")
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
        waitUntilRegistered([SIGTERM, SIGINT])
    }

    /// On Linux libdispatch registers a signal source later, from its manager thread, replacing SIG_IGN with its own
    /// handler; a SIGTERM before that was ignored and lost (the drain never started). Readiness, the "listening"
    /// line, waits for the registration, at most a second.
    private static func waitUntilRegistered(_ signals: [Int32]) {
        #if os(Linux)
        let deadline = ContinuousClock.now + .seconds(1)
        func ignored(_ signo: Int32) -> Bool {
            var action = sigaction()
            sigaction(signo, nil, &action)
            return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 1  // SIG_IGN
        }
        while signals.contains(where: ignored), ContinuousClock.now < deadline { usleep(1000) }
        #endif
    }
}

/// Prints a line and flushes at once: scripts and tests read these lines from a pipe. A reader that went away
/// (EPIPE) is ignored: `write(_: Data)` would trap, and SIGTERM would crash instead of draining.
func announce(_ line: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
}
