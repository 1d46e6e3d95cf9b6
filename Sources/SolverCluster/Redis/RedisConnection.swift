import CHiredis
import Glibc

/// One synchronous hiredis connection. Not thread-safe: one owner at a time (`RedisClient` guards it with a lock,
/// `RedisSubscriber` keeps it on its thread). All hiredis pointers of the module live in this type.
///
/// Invariant: `context` is a non-null `redisContext` from `redisConnectWithTimeout` whose `err` was 0 when the
/// connection was made; once a call fails, `broken` is set and the context is never used again except by
/// `redisFree` in `deinit` (hiredis forbids reuse after an error). `@unchecked Sendable` only so a lock can hold it:
/// every use but `interrupt()` happens under that lock or on the one thread that owns it.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    private(set) var broken = false
    /// Where the socket goes (for a Sentinel endpoint, the master the Sentinels named).
    let server: RedisEndpoint.Server

    /// Connects within `connectTimeout` seconds; commands then time out after `commandTimeout` (nil: block).
    /// TCP only: `open` (RedisConnection+Open) logs in and selects the database.
    init(server: RedisEndpoint.Server, connectTimeout: Double, commandTimeout: Double?) throws {
        self.server = server
        guard let context = redisConnectWithTimeout(server.host, Int32(server.port), Self.timeval(connectTimeout)) else {
            throw RedisError.unavailable("cannot allocate a hiredis context")
        }
        // Invariant: `context` is valid until redisFree; errstr is a NUL-terminated 128-byte array inside it.
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError.unavailable("cannot connect to \(server): \(message)")
        }
        self.context = context
        _ = redisEnableKeepAlive(context)
        if let commandTimeout { _ = redisSetTimeout(context, Self.timeval(commandTimeout)) }
    }

    deinit {
        // Invariant: the context is owned by this object alone; freeing it closes the socket.
        redisFree(context)
    }

    private static func timeval(_ seconds: Double) -> timeval {
        let whole = Int(seconds)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int(((seconds - Double(whole)) * 1e6).rounded()))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        // Invariant: errstr is a fixed char[128] that hiredis always NUL-terminates.
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// Marks the connection unusable and turns hiredis's error into a `RedisError`.
    private func fail() -> RedisError {
        broken = true
        let message = Self.errorText(context)
        let err = context.pointee.err
        // REDIS_ERR_IO with EAGAIN/EWOULDBLOCK is hiredis's way of reporting a read timeout.
        if err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK) {
            return .timeout("no reply from \(server) in time")
        }
        return .unavailable("connection to \(server) failed: \(message.isEmpty ? "error \(err)" : message)")
    }

    /// Sends one command and waits for its reply.
    func command(_ args: [RedisArgument]) throws -> RESPValue {
        try pipeline([args])[0]
    }

    /// Sends every command, then reads every reply, in one round trip. Error replies come back as `.error`;
    /// a broken connection throws (and the results of commands already sent are unknown).
    func pipeline(_ commands: [[RedisArgument]]) throws -> [RESPValue] {
        guard !broken else { throw RedisError.unavailable("connection to \(server) is broken") }
        for args in commands { try append(args) }
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply()) }
        return replies
    }

    /// Queues a command in hiredis's output buffer (written by the next `readReply`).
    func append(_ args: [RedisArgument]) throws {
        let buffers = args.map(\.bytes)
        let status: Int32 = withArgv(buffers) { argv, lengths in
            // Invariant: argv[k] points at buffers[k] (kept alive by the closure) and lengths[k] is its size;
            // hiredis copies them into its output buffer before returning.
            redisAppendCommandArgv(context, Int32(buffers.count), argv, lengths)
        }
        if status != REDIS_OK { throw fail() }
    }

    /// Reads one reply (flushing queued commands first); blocks up to the command timeout.
    func readReply() throws -> RESPValue {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw fail() }
        // Invariant: a successful redisGetReply hands over one redisReply tree that we own and free once.
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    /// Copies a hiredis reply tree into a `RESPValue` (no pointer escapes).
    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let r = reply.pointee
        func text() -> [UInt8] {
            // Invariant: for STRING/STATUS/ERROR replies `str` holds `len` bytes.
            guard let str = r.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: r.len))
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .bulk(text())
        case REDIS_REPLY_STATUS: return .status(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(r.integer)
        case REDIS_REPLY_ARRAY:
            // Invariant: `element` holds `elements` non-null child replies.
            guard let elements = r.element else { return .array([]) }
            return .array((0..<r.elements).map { convert(elements[$0]!) })
        default: return .null
        }
    }

    /// Unblocks a thread waiting in `readReply` (from another thread): the read then fails and the
    /// connection is marked broken. Safe on a live context; `shutdown(2)` on the socket is thread-safe.
    func interrupt() {
        _ = Glibc.shutdown(context.pointee.fd, Int32(SHUT_RDWR))
    }
}

/// Builds C argv/length arrays over `buffers` for the duration of `body`.
private func withArgv<R>(_ buffers: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
    let count = buffers.count
    let argv = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: count)
    defer { argv.deallocate() }
    var lengths = buffers.map(\.count)
    // Invariant: each buffer is copied once into memory we own and free after `body`; nothing escapes.
    var owned: [UnsafeMutablePointer<CChar>] = []
    owned.reserveCapacity(count)
    defer { for p in owned { p.deallocate() } }
    for (k, buffer) in buffers.enumerated() {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, buffer.count))
        buffer.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: buffer.count) }
        }
        owned.append(p)
        argv[k] = UnsafePointer(p)
    }
    return lengths.withUnsafeMutableBufferPointer { body(argv, $0.baseAddress!) }
}
