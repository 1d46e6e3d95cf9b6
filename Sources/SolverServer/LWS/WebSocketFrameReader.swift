import CLibwebsockets
import SolverCore

/// Incremental RFC 6455 parser for the frames a client sends, fed raw socket bytes in any split. It reassembles
/// fragmented messages (inflating permessage-deflate ones), validates text as it arrives, and reports pings, pongs
/// and the close frame in wire order, so the caller can answer each ping at once. Payloads are unmasked in place in
/// the caller's input buffer; the only per-connection buffers are the message being assembled and, once a compressed
/// message arrived, zlib's state.
///
/// A violation throws ``Failure`` with the close code to fail the connection with; after a failure or a close frame
/// the reader ignores whatever follows.
struct WebSocketFrameReader {
    enum Event {
        case text([UInt8])
        case binary([UInt8])
        case ping([UInt8])
        case pong
        /// `code` nil: the close frame had no payload.
        case close(code: WebSocketCloseCode?, reason: [UInt8])
    }

    struct Failure: Error, Equatable {
        let code: WebSocketCloseCode
        let reason: String
    }

    let maxMessageBytes: Int
    /// permessage-deflate was negotiated: RSV1 marks a compressed message. The inflater is made for the first one.
    private let deflate: Bool
    private var inflater: WebSocketInflater?

    private var header: [UInt8] = []
    /// Header bytes needed: 2 until the length field is known, then the whole header.
    private var headerNeeded = 2
    /// Payload bytes of the current frame still to come.
    private var payloadLeft = 0
    private var payloadOffset = 0
    private var maskKey: UInt32 = 0
    private var opcode: UInt8 = 0
    private var isFinal = false
    private var inFrame = false

    /// The data message being assembled (its first frame's opcode), if any.
    private var messageOpcode: UInt8?
    private var messageCompressed = false
    private var message: [UInt8] = []
    private var utf8 = UTF8Validator()
    private var control: [UInt8] = []
    private(set) var isFinished = false

    init(maxMessageBytes: Int, deflate: Bool) {
        self.maxMessageBytes = maxMessageBytes
        self.deflate = deflate
    }

    /// Parses `input` (unmasking payloads in place), calling `event` for each complete message and control frame in
    /// order. `inflateBuffer` is zlib's output area, used only during this call.
    mutating func feed(
        _ input: UnsafeMutableRawBufferPointer, inflateBuffer: UnsafeMutableRawBufferPointer,
        _ event: (Event) -> Void
    ) throws(Failure) {
        var index = 0
        while index < input.count && !isFinished {
            if !inFrame {
                let take = min(headerNeeded - header.count, input.count - index)
                header.append(contentsOf: UnsafeMutableRawBufferPointer(rebasing: input[index..<index + take]))
                index += take
                guard header.count == headerNeeded else { continue }
                if headerNeeded == 2 {
                    headerNeeded = try Self.headerSize(header[0], header[1])
                    if header.count < headerNeeded { continue }
                }
                try beginFrame()
                header.removeAll(keepingCapacity: true)
                headerNeeded = 2
            }
            let take = min(payloadLeft, input.count - index)
            if take > 0 {
                try payload(UnsafeMutableRawBufferPointer(rebasing: input[index..<index + take]), inflateBuffer)
                index += take
                payloadLeft -= take
            }
            if payloadLeft == 0 {
                inFrame = false
                try endFrame(inflateBuffer, event)
            }
        }
    }

    // MARK: Frames

    private static func headerSize(_ first: UInt8, _ second: UInt8) throws(Failure) -> Int {
        guard second & 0x80 != 0 else { throw protocolError("client frames must be masked") }
        switch second & 0x7F {
        case 126: return 2 + 2 + 4
        case 127: return 2 + 8 + 4
        default: return 2 + 4
        }
    }

    private mutating func beginFrame() throws(Failure) {
        let first = header[0]
        opcode = first & 0x0F
        isFinal = first & 0x80 != 0
        let rsv1 = first & 0x40 != 0
        guard first & 0x30 == 0 else { throw Self.protocolError("reserved bits set") }
        var length = 0
        switch header[1] & 0x7F {
        case 126:
            length = Int(header[2]) << 8 | Int(header[3])
        case 127:
            guard header[2] & 0x80 == 0 else { throw Self.protocolError("frame length out of range") }
            for index in 2..<10 { length = length << 8 | Int(header[index]) }
        case let short:
            length = Int(short)
        }
        let key = header.count - 4
        maskKey = UInt32(header[key]) | UInt32(header[key + 1]) << 8 | UInt32(header[key + 2]) << 16
            | UInt32(header[key + 3]) << 24
        payloadLeft = length
        payloadOffset = 0
        inFrame = true

        if opcode >= 0x8 {
            guard opcode <= 0xA else { throw Self.protocolError("reserved opcode \(opcode)") }
            guard isFinal else { throw Self.protocolError("fragmented control frame") }
            guard length <= 125 else { throw Self.protocolError("control frame payload over 125 bytes") }
            guard !rsv1 else { throw Self.protocolError("reserved bits set") }
            control.removeAll(keepingCapacity: true)
            return
        }
        switch opcode {
        case 0x0:
            guard messageOpcode != nil else { throw Self.protocolError("continuation without a message") }
            guard !rsv1 else { throw Self.protocolError("RSV1 on a continuation frame") }
        case 0x1, 0x2:
            guard messageOpcode == nil else { throw Self.protocolError("new message inside a fragmented one") }
            guard !rsv1 || deflate else { throw Self.protocolError("reserved bits set") }
            if rsv1 && inflater == nil {
                guard let made = WebSocketInflater() else { throw Failure(code: .internalError, reason: "zlib") }
                inflater = made
            }
            messageOpcode = opcode
            messageCompressed = rsv1
            utf8 = UTF8Validator()
        default:
            throw Self.protocolError("reserved opcode \(opcode)")
        }
        // Uncompressed, the frame length says at once whether the message can fit.
        if !messageCompressed && length > maxMessageBytes - message.count { throw Self.tooBig }
    }

    private mutating func payload(
        _ piece: UnsafeMutableRawBufferPointer, _ inflateBuffer: UnsafeMutableRawBufferPointer
    ) throws(Failure) {
        Self.unmask(piece, key: maskKey, offset: payloadOffset)
        payloadOffset += piece.count
        let bytes = UnsafeRawBufferPointer(piece)
        if opcode >= 0x8 {
            control.append(contentsOf: bytes)
            return
        }
        let before = message.count
        if messageCompressed {
            try Self.check(inflater!.inflate(bytes, onto: &message, limit: maxMessageBytes, buffer: inflateBuffer))
        } else {
            message.append(contentsOf: bytes)
        }
        try validateText(from: before)
    }

    private mutating func endFrame(
        _ inflateBuffer: UnsafeMutableRawBufferPointer, _ event: (Event) -> Void
    ) throws(Failure) {
        switch opcode {
        case 0x8:
            isFinished = true
            let (code, reason) = try Self.closePayload(control)
            event(.close(code: code, reason: reason))
        case 0x9:
            event(.ping(control))
        case 0xA:
            event(.pong)
        default:
            guard isFinal, let kind = messageOpcode else { return }
            if messageCompressed {
                let before = message.count
                try Self.check(inflater!.finishMessage(onto: &message, limit: maxMessageBytes, buffer: inflateBuffer))
                try validateText(from: before)
            }
            if kind == 0x1 && !utf8.isAtBoundary { throw Self.invalidText }
            let complete = message
            // Keep a modest buffer for the next message; let a huge one go.
            if message.capacity > 1 << 20 { message = [] } else { message.removeAll(keepingCapacity: true) }
            messageOpcode = nil
            event(kind == 0x1 ? .text(complete) : .binary(complete))
        }
    }

    private mutating func validateText(from start: Int) throws(Failure) {
        guard messageOpcode == 0x1, start < message.count else { return }
        let valid = message.withUnsafeBytes { bytes in utf8.validate(UnsafeRawBufferPointer(rebasing: bytes[start...])) }
        if !valid { throw Self.invalidText }
    }

    /// Unmasks `bytes` in place. `key` holds the masking key's first byte lowest; `offset` is the position of `bytes`
    /// in the frame's payload.
    static func unmask(_ bytes: UnsafeMutableRawBufferPointer, key: UInt32, offset: Int) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let shift = UInt32(offset & 3) * 8
        let rotated = shift == 0 ? key : (key >> shift | key << (32 - shift))
        // Invariant: clws_unmask touches exactly bytes.count bytes from base.
        clws_unmask(base.assumingMemoryBound(to: UInt8.self), bytes.count, rotated)
    }

    // MARK: Close frames and failures

    /// RFC 6455 §7.4: the codes an endpoint may send; the rest (reserved, or never sent on the wire) are refused.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }

    private static func closePayload(_ payload: [UInt8]) throws(Failure) -> (WebSocketCloseCode?, [UInt8]) {
        guard !payload.isEmpty else { return (nil, []) }
        guard payload.count >= 2 else { throw protocolError("close payload of one byte") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard isValidCloseCode(code) else { throw protocolError("invalid close code \(code)") }
        let reason = Array(payload[2...])
        var validator = UTF8Validator()
        let valid = reason.withUnsafeBytes { validator.validate($0) } && validator.isAtBoundary
        guard valid else { throw Failure(code: .invalidPayload, reason: "invalid UTF-8 in close reason") }
        return (WebSocketCloseCode(rawValue: code), reason)
    }

    private static func check(_ failure: WebSocketInflater.Failure?) throws(Failure) {
        switch failure {
        case nil: return
        case .tooLarge: throw tooBig
        case .invalidData: throw protocolError("invalid compressed data")
        }
    }

    private static func protocolError(_ reason: String) -> Failure { Failure(code: .protocolError, reason: reason) }
    private static let tooBig = Failure(code: .messageTooBig, reason: SolverError.Code.payloadTooLarge.rawValue)
    private static let invalidText = Failure(code: .invalidPayload, reason: WebSocketCloseReason.invalidUTF8.text)
}
