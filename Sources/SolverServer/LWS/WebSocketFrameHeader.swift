/// RFC 6455 §5.2 headers of unmasked server frames, for writing several frames with one `lws_write(LWS_WRITE_RAW)`
/// on connections without extensions (with permessage-deflate lws must frame and compress each message itself), and
/// the control frames (pong, close) the transport writes itself.
enum WebSocketFrameHeader {
    /// The header length for a payload of `count` bytes: 2, 4 (16-bit length) or 10 (64-bit length).
    static func size(payload count: Int) -> Int { count < 126 ? 2 : (count <= 0xFFFF ? 4 : 10) }

    /// Writes the header for one frame at `destination[0..<size(payload: count)]` and returns its size.
    /// `isStart` picks the message's opcode (later fragments are continuations), `isEnd` sets FIN; RSV bits stay 0.
    /// The caller guarantees `destination.count >= size(payload: count)`.
    static func write(
        into destination: UnsafeMutableRawBufferPointer, payload count: Int, isText: Bool, isStart: Bool, isEnd: Bool
    ) -> Int {
        let opcode: UInt8 = isStart ? (isText ? 0x1 : 0x2) : 0x0
        let size = size(payload: count)
        precondition(destination.count >= size, "frame header does not fit")
        destination[0] = (isEnd ? 0x80 : 0) | opcode
        switch size {
        case 2:
            destination[1] = UInt8(count)
        case 4:
            destination[1] = 126
            destination[2] = UInt8(truncatingIfNeeded: count >> 8)
            destination[3] = UInt8(truncatingIfNeeded: count)
        default:
            destination[1] = 127
            for index in 0..<8 { destination[2 + index] = UInt8(truncatingIfNeeded: count >> (56 - 8 * index)) }
        }
        return size
    }

    /// Writes a whole control frame (FIN, `opcode`, ≤ 125 payload bytes) at the start of `destination`; returns its
    /// size. The caller guarantees `payload.count <= 125` and `destination.count >= 2 + payload.count`.
    static func writeControl(into destination: UnsafeMutableRawBufferPointer, opcode: UInt8, payload: [UInt8]) -> Int {
        precondition(payload.count <= 125 && destination.count >= 2 + payload.count, "control frame does not fit")
        destination[0] = 0x80 | opcode
        destination[1] = UInt8(payload.count)
        payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: destination[2...]).copyMemory(from: $0) }
        return 2 + payload.count
    }

    /// A close frame's payload: the code and up to 123 bytes of reason, or nothing for 1005 (which means "no code"
    /// and is never sent, RFC 6455 §7.4.1).
    static func closePayload(code: WebSocketCloseCode, reason: [UInt8]) -> [UInt8] {
        guard code != .noStatus else { return [] }
        return [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + reason.prefix(123)
    }
}
