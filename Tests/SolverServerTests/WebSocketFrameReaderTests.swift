import CZlib
import Testing

@testable import SolverServer

/// A masked client frame (RFC 6455 §5.2) with any flags, for feeding the reader.
func clientFrame(
    _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true,
    key: [UInt8] = [0x12, 0x9A, 0x3C, 0xE7]
) -> [UInt8] {
    var frame: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
    let maskBit: UInt8 = masked ? 0x80 : 0
    if payload.count < 126 {
        frame.append(maskBit | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        frame.append(maskBit | 127)
        for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
    }
    guard masked else { return frame + payload }
    return frame + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
}

/// Feeds one piece (copied: the reader unmasks in place) with a scratch inflate buffer.
func feed(
    _ reader: inout WebSocketFrameReader, _ piece: [UInt8], _ event: (WebSocketFrameReader.Event) -> Void
) throws {
    var input = piece
    let inflateBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
    defer { inflateBuffer.deallocate() }
    try input.withUnsafeMutableBytes { try reader.feed($0, inflateBuffer: inflateBuffer, event) }
}

/// What the reader reported, in order, as comparable strings.
private func events(
    _ pieces: [[UInt8]], maxMessageBytes: Int = 1 << 20, deflate: Bool = false
) -> (events: [String], failure: WebSocketFrameReader.Failure?) {
    var reader = WebSocketFrameReader(maxMessageBytes: maxMessageBytes, deflate: deflate)
    var seen: [String] = []
    for piece in pieces {
        do {
            try feed(&reader, piece) { event in
                switch event {
                case .text(let bytes): seen.append("text:" + String(decoding: bytes, as: UTF8.self))
                case .binary(let bytes): seen.append("binary:\(bytes.count)")
                case .ping(let bytes): seen.append("ping:" + String(decoding: bytes, as: UTF8.self))
                case .pong: seen.append("pong")
                case .close(let code, let reason):
                    let text = String(decoding: reason, as: UTF8.self)
                    seen.append("close:\(code.map { String($0.rawValue) } ?? "-"):" + text)
                }
            }
        } catch let failure as WebSocketFrameReader.Failure {
            return (seen, failure)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
    return (seen, nil)
}

private func failureCode(_ bytes: [UInt8], deflate: Bool = false, maxMessageBytes: Int = 1 << 20) -> UInt16? {
    events([bytes], maxMessageBytes: maxMessageBytes, deflate: deflate).failure?.code.rawValue
}

/// Raw deflate with a sync flush, minus the 00 00 FF FF tail (RFC 7692 §7.2.1).
private func deflated(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: input.count + 1024)
    var input = input
    let produced = input.withUnsafeMutableBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            stream.next_out = destination.baseAddress
            stream.avail_out = uInt(destination.count)
            deflate(&stream, Z_SYNC_FLUSH)
            return destination.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<(produced - 4)])
}

@Suite struct WebSocketFrameReaderTests {
    @Test func messagesAndControlFramesInWireOrder() {
        let wire =
            clientFrame(1, Array("frag".utf8), fin: false) + clientFrame(9, Array("p1".utf8))
            + clientFrame(0, Array("ment".utf8), fin: false) + clientFrame(10, [])
            + clientFrame(0, Array("ed".utf8)) + clientFrame(2, [1, 2, 3])
            + clientFrame(8, [0x03, 0xE8] + Array("bye".utf8))
        let expected = ["ping:p1", "pong", "text:fragmented", "binary:3", "close:1000:bye"]
        #expect(events([wire]).events == expected)
        // Any split, down to single bytes, gives the same events.
        #expect(events(wire.map { [$0] }).events == expected)
        for cut in stride(from: 1, to: wire.count, by: 3) {
            #expect(events([Array(wire[..<cut]), Array(wire[cut...])]).events == expected, "cut at \(cut)")
        }
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 100_003])
    func lengthEncodingsAndUnmasking(_ count: Int) {
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let wire = clientFrame(2, payload)
        var reader = WebSocketFrameReader(maxMessageBytes: 1 << 20, deflate: false)
        var received: [UInt8]?
        // Pieces of odd sizes, so unmasking starts at every offset within the key.
        var index = 0
        var size = 1
        while index < wire.count {
            let end = min(wire.count, index + size)
            try? feed(&reader, Array(wire[index..<end])) { if case .binary(let bytes) = $0 { received = bytes } }
            index = end
            size = size % 13 + 5
        }
        #expect(received == payload)
    }

    @Test func emptyCloseAndStopAfterClose() {
        let result = events([clientFrame(8, []) + clientFrame(1, Array("late".utf8))])
        #expect(result.events == ["close:-:"])
        #expect(result.failure == nil)
    }

    static let violations: [(wire: [UInt8], code: UInt16)] = {
        let x = Array("x".utf8)
        var cases: [(wire: [UInt8], code: UInt16)] = []
        cases.append((clientFrame(1, x, masked: false), 1002))
        cases.append((clientFrame(1, x, rsv: 0b010), 1002))
        cases.append((clientFrame(1, x, rsv: 0b001), 1002))
        cases.append((clientFrame(1, x, rsv: 0b100), 1002))  // RSV1 without permessage-deflate
        cases.append((clientFrame(3, []), 1002))
        cases.append((clientFrame(0xB, []), 1002))
        cases.append((clientFrame(9, [], fin: false), 1002))
        cases.append((clientFrame(9, [UInt8](repeating: 0, count: 126)), 1002))
        cases.append((clientFrame(0, x), 1002))
        cases.append((clientFrame(1, [0x61], fin: false) + clientFrame(1, [0x62]), 1002))
        cases.append((clientFrame(8, [0x03]), 1002))
        cases.append((clientFrame(8, [0x03, 0xED]), 1002))  // 1005 is never sent
        cases.append((clientFrame(8, [0x03, 0xE7]), 1002))  // 999
        cases.append((clientFrame(8, [0x03, 0xF8]), 1002))  // 1016
        cases.append((clientFrame(8, [0x13, 0x88]), 1002))  // 5000
        cases.append((clientFrame(8, [0x03, 0xE8, 0xC3, 0x28]), 1007))
        cases.append((clientFrame(1, [0x68, 0xC3, 0x28]), 1007))
        cases.append((clientFrame(1, [0x68, 0xC3]), 1007))  // a sequence cut off by the end of the message
        cases.append((clientFrame(1, [0xED, 0xA0, 0x80]), 1007))  // a surrogate
        cases.append((clientFrame(1, [UInt8](repeating: 0x61, count: 2000)), 1009))
        // A 64-bit length just below 2^63 is refused by its size, not trusted.
        cases.append(([0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4], 1009))
        cases.append(([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 1002))
        return cases
    }()

    @Test(arguments: 0..<violations.count)
    func violationsFailTheConnection(_ index: Int) {
        let (wire, code) = Self.violations[index]
        #expect(failureCode(wire, maxMessageBytes: 1000) == code)
    }

    @Test func validCloseCodesAreAccepted() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            let result = events([clientFrame(8, [UInt8(code >> 8), UInt8(code & 0xFF)])])
            #expect(result.events == ["close:\(code):"])
        }
    }

    /// RFC 6455 §8.1 fail fast: a fragment with an invalid byte fails before the message ends.
    @Test func invalidUTF8FailsAtTheFragmentThatBreaksIt() {
        let first = clientFrame(1, [0xCE, 0xBA, 0xE1, 0xBD], fin: false)  // valid so far (a split sequence)
        let second = clientFrame(0, [0xB9, 0xF4, 0x90, 0x80, 0x80], fin: false)  // U+110000 is out of range
        #expect(events([first]).failure == nil)
        #expect(events([first, second]).failure?.code == .invalidPayload)
        #expect(events([first, clientFrame(0, [0xB9, 0x65])]).events == ["text:κό" + "e"])
    }

    /// RFC 7692 §7.2.3.1–2: the same message twice with context takeover, fragmented, and a stored block.
    @Test func permessageDeflateMessages() {
        let hello: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        let helloAgain: [UInt8] = [0xF2, 0x00, 0x11, 0x00, 0x00]
        let stored: [UInt8] = [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]
        let wire =
            clientFrame(1, hello, rsv: 0b100) + clientFrame(1, helloAgain, rsv: 0b100)
            + clientFrame(1, Array(hello[..<3]), fin: false, rsv: 0b100) + clientFrame(0, Array(hello[3...]))
            + clientFrame(1, stored, rsv: 0b100) + clientFrame(1, Array("plain".utf8))
        let expected = ["text:Hello", "text:Hello", "text:Hello", "text:Hello", "text:plain"]
        #expect(events([wire], deflate: true).events == expected)
        #expect(failureCode(clientFrame(1, hello, rsv: 0b100) + clientFrame(0, [], rsv: 0b100), deflate: true) == 1002)
        #expect(failureCode(clientFrame(1, [0xFF, 0xFF, 0xFF], rsv: 0b100), deflate: true) == 1002)
    }

    /// The limit applies to the inflated size, as it grows: a small frame that inflates to megabytes fails early.
    @Test func inflatedSizeIsLimited() {
        let bomb = deflated([UInt8](repeating: 0x61, count: 4 << 20))
        #expect(bomb.count < 10_000)
        #expect(failureCode(clientFrame(1, bomb, rsv: 0b100), deflate: true, maxMessageBytes: 1 << 20) == 1009)
        let fits = deflated(Array(String(repeating: "solver ", count: 1000).utf8))
        #expect(events([clientFrame(1, fits, rsv: 0b100)], deflate: true).events.first?.count == 7005)
    }
}

@Suite struct UTF8ValidatorTests {
    private func valid(_ pieces: [[UInt8]]) -> Bool {
        var validator = UTF8Validator()
        for piece in pieces where !piece.withUnsafeBytes({ validator.validate($0) }) { return false }
        return validator.isAtBoundary
    }

    @Test func acceptsWhatSwiftAccepts() {
        let samples = [
            "", "ascii only, longer than eight bytes", "κόσμε", "日本語テキスト", "😀 emoji 🚀", "\u{10FFFF}\u{E000}",
        ]
        for sample in samples {
            let bytes = Array(sample.utf8)
            #expect(valid([bytes]))
            #expect(valid(bytes.map { [$0] }), "byte by byte: \(sample)")
        }
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82],
        [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xFE],
    ] as [[UInt8]])
    func refusesWhatSwiftRefuses(_ bytes: [UInt8]) {
        #expect(String(validating: bytes, as: UTF8.self) == nil)
        #expect(!valid([bytes]))
    }
}
