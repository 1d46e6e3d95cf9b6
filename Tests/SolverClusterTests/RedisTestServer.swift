import Foundation
@testable import SolverCluster

/// A throwaway `redis-server` on a free loopback port for one test (nil when redis-server is not installed).
final class RedisTestServer {
    let port: Int
    private var pid: pid_t = 0
    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    static var binary: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }
    static var isAvailable: Bool { binary != nil }

    init?() {
        guard Self.binary != nil else { return nil }
        port = Self.freePort()
        guard start() else { return nil }
    }

    /// Starts redis-server on `port` (again, after `stop`); true once it answers PING.
    @discardableResult
    func start() -> Bool {
        // posix_spawn + waitpid: Foundation's Process.waitUntilExit can hang under the test runner on Linux.
        let args = [Self.binary!, "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--logfile", "/dev/null"]
        var cArgs = args.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        guard posix_spawn(&pid, args[0], nil, nil, &cArgs, environ) == 0 else { return false }
        let client = RedisClient(endpoint: endpoint)
        for _ in 0..<300 {
            if (try? client.command("PING")) == .status("PONG") { return true }
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

    deinit { stop() }

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
