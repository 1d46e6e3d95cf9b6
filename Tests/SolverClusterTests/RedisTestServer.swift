import Foundation
@testable import SolverCluster

/// A throwaway `redis-server` (or `redis-sentinel`) on a free loopback port for one test (nil when it is not
/// installed). `arguments` are added to the command line (`--requirepass`, `--replicaof`, …).
final class RedisTestServer {
    let port: Int
    private let executable: String
    private let arguments: [String]
    /// Working directory (Sentinels keep their state in a config file they rewrite there).
    private let directory: String
    private var pid: pid_t = 0
    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }
    var server: RedisEndpoint.Server { RedisEndpoint.Server(host: "127.0.0.1", port: port) }

    static var binary: String? { installed("redis-server") }
    static var sentinelBinary: String? { installed("redis-sentinel") }
    static var isAvailable: Bool { binary != nil }
    static var isSentinelAvailable: Bool { binary != nil && sentinelBinary != nil }

    private static func installed(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init?(arguments: [String] = []) {
        guard let binary = Self.binary else { return nil }
        port = Self.freePort()
        executable = binary
        // Its own directory: a replica writes the RDB of its first sync there even with `--save ""`.
        let directory = Self.makeDirectory("solverd-redis-\(port)")
        self.directory = directory
        self.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--logfile", "/dev/null", "--dir", directory] + arguments
        guard start() else { return nil }
    }

    /// A Sentinel (quorum 1) watching `master` as `masterName`; it fails over a master that is silent for 1 s.
    /// `masterPassword`: what it logs in to the master and replicas with (`sentinel auth-pass`).
    init?(sentinelFor master: RedisTestServer, masterName: String, masterPassword: String? = nil, arguments: [String] = []) {
        guard let binary = Self.sentinelBinary else { return nil }
        port = Self.freePort()
        executable = binary
        let directory = Self.makeDirectory("solverd-sentinel-\(port)")
        let config = directory + "/sentinel.conf"
        guard FileManager.default.createFile(atPath: config, contents: Data("port \(port)\n".utf8)) else { return nil }
        self.directory = directory
        self.arguments = [config, "--bind", "127.0.0.1", "--logfile", "/dev/null",
                          "--sentinel", "monitor", masterName, "127.0.0.1", "\(master.port)", "1",
                          "--sentinel", "down-after-milliseconds", masterName, "1000",
                          "--sentinel", "failover-timeout", masterName, "3000"]
            + (masterPassword.map { ["--sentinel", "auth-pass", masterName, $0] } ?? []) + arguments
        guard start() else { return nil }
    }

    /// Starts the process on `port` (again, after `stop`); true once it answers PING (any reply: a server that
    /// wants AUTH answers NOAUTH).
    @discardableResult
    func start() -> Bool {
        // posix_spawn + waitpid: Foundation's Process.waitUntilExit can hang under the test runner on Linux.
        let args = [executable] + arguments
        var cArgs = args.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        guard posix_spawn(&pid, args[0], nil, nil, &cArgs, environ) == 0 else { return false }
        for _ in 0..<300 {
            if (try? RedisConnection(server: server, connectTimeout: 0.2, commandTimeout: 1).command(["PING"])) != nil { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        stop()
        return false
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func makeDirectory(_ name: String) -> String {
        let directory = NSTemporaryDirectory() + name
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? condition()) == true { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return (try? condition()) == true
}
