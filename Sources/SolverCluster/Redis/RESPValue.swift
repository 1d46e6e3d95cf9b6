/// One Redis reply (RESP2, what hiredis 0.14 speaks), copied out of hiredis memory so it outlives the reply object.
public enum RESPValue: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case array([RESPValue])
    case null

    /// The bulk or status text as UTF-8; nil for other kinds.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        if case .bulk(let b) = self { return b }
        return nil
    }

    /// An integer reply, or a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let v): v
        case .bulk: string.flatMap { Int64($0) }
        default: nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Throws the reply when it is a Redis error (`-ERR ...`), so callers see one error type.
    @discardableResult
    public func checked() throws -> RESPValue {
        if case .error(let message) = self { throw RedisError.reply(message) }
        return self
    }
}
