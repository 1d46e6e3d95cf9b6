/// RFC 6455 §5.2 headers of unmasked server frames, for writing several frames with one `lws_write(LWS_WRITE_RAW)`
/// on connections without extensions (with permessage-deflate lws must frame and compress each message itself).
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
}
