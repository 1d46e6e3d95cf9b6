import Crypto

/// A Lua script with its SHA-1, run with `EVALSHA` (falling back to `EVAL` when Redis does not know it yet).
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// `EVALSHA` arguments for a pipeline.
    public func evalSHA(keys: [RedisArgument], args: [RedisArgument]) -> [RedisArgument] {
        [RedisArgument("EVALSHA"), RedisArgument(sha1), RedisArgument(keys.count)] + keys + args
    }

    /// `SCRIPT LOAD` arguments.
    public var load: [RedisArgument] { ["SCRIPT", "LOAD", RedisArgument(source)] }
}

extension RESPValue {
    /// An `EVALSHA` reply that asks for the script to be loaded first.
    public var isNoScript: Bool {
        if case .error(let message) = self { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}
