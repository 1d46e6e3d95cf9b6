import CZlib

/// permessage-deflate (RFC 7692) decompression of what a client sends: one raw-deflate stream per connection whose
/// window carries over between messages. That decodes every negotiated variant: a client that resets its context
/// per message (`client_no_context_takeover`) or uses a smaller window never refers to data the window lacks.
///
/// Invariant: `stream` is initialised in `init` and ended in `deinit` only; zlib's pointers into caller buffers are
/// set and used within one `inflate` call, never kept. zlib allocates its window at the first inflate.
final class WebSocketInflater {
    enum Failure: Error {
        case invalidData
        /// The inflated message would exceed the limit.
        case tooLarge
    }

    /// The four bytes RFC 7692 §7.2.2 has the sender strip from the end of every message.
    private static let messageTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
    private var stream = z_stream()
    /// The sender ended its deflate stream (BFINAL) inside the current message: the rest of it is ignored and the
    /// next message starts a new stream.
    private var streamEnded = false

    init?() {
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates `input` (a piece of a compressed message) onto `message`, which may not grow past `limit`, through
    /// `buffer` (zlib's output area); nil when it went well.
    func inflate(
        _ input: UnsafeRawBufferPointer, onto message: inout [UInt8], limit: Int, buffer: UnsafeMutableRawBufferPointer
    ) -> Failure? {
        guard !input.isEmpty, !streamEnded else { return nil }
        // Invariant: next_in/next_out point into `input` and `buffer` for the duration of this call only.
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        defer {
            stream.next_in = nil
            stream.avail_in = 0
        }
        while true {
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            let status = CZlib.inflate(&stream, Z_SYNC_FLUSH)
            let produced = buffer.count - Int(stream.avail_out)
            stream.next_out = nil
            guard message.count + produced <= limit else { return .tooLarge }
            message.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<produced]))
            switch status {
            case Z_OK where stream.avail_in > 0 || stream.avail_out == 0: continue
            case Z_OK, Z_BUF_ERROR: return nil  // all input taken, nothing more to flush
            case Z_STREAM_END:
                streamEnded = true
                return nil
            default: return .invalidData
            }
        }
    }

    /// Ends a message: inflates the stripped tail so every byte of the message is flushed out.
    func finishMessage(onto message: inout [UInt8], limit: Int, buffer: UnsafeMutableRawBufferPointer) -> Failure? {
        defer {
            if streamEnded {
                inflateReset(&stream)
                streamEnded = false
            }
        }
        return Self.messageTail.withUnsafeBytes { inflate($0, onto: &message, limit: limit, buffer: buffer) }
    }
}
