import SolverCore
import Testing

@testable import SolverServer

/// Feeds `pieces` in order; returns the decoded body and the last progress, or the error.
private func decode(_ pieces: [[UInt8]]) -> (body: [UInt8], progress: ChunkedBodyDecoder.Progress?, error: String?) {
    var decoder = ChunkedBodyDecoder()
    var body: [UInt8] = []
    var progress: ChunkedBodyDecoder.Progress?
    for piece in pieces {
        do {
            progress = try piece.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { body.append(contentsOf: $0) }
            }
        } catch let error as ChunkedBodyDecoder.Malformed {
            return (body, progress, error.reason)
        } catch {
            return (body, progress, "\(error)")
        }
        if case .complete = progress { break }
    }
    return (body, progress, nil)
}

private func decode(_ text: String) -> (body: [UInt8], progress: ChunkedBodyDecoder.Progress?, error: String?) {
    decode([Array(text.utf8)])
}

@Suite struct ChunkedBodyDecoderTests {
    static let framed = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"

    @Test func decodesChunksAndSaysWhereTheBodyEnds() {
        let result = decode(Self.framed)
        #expect(result.error == nil)
        #expect(String(decoding: result.body, as: UTF8.self) == "hello world")
        #expect(result.progress == .complete(consumed: Self.framed.utf8.count))
    }

    /// Every way of splitting the input in two, and byte by byte, gives the same body and end.
    @Test func anySplitGivesTheSameResult() {
        let bytes = Array(Self.framed.utf8)
        for cut in 0...bytes.count {
            let result = decode([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(result.error == nil)
            #expect(String(decoding: result.body, as: UTF8.self) == "hello world", "cut at \(cut)")
        }
        let byByte = decode(bytes.map { [$0] })
        #expect(String(decoding: byByte.body, as: UTF8.self) == "hello world")
        #expect(byByte.progress == .complete(consumed: 1))
    }

    @Test func partialInputNeedsMore() {
        for prefix in ["", "5", "5\r", "5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "0\r\nA: b\r\n"] {
            let result = decode(prefix)
            #expect(result.error == nil, "\(prefix.debugDescription)")
            #expect(result.progress == .needsMore, "\(prefix.debugDescription)")
        }
    }

    @Test func hexSizesInEitherCaseAndLargeChunks() {
        let payload = [UInt8](repeating: 7, count: 0x1_0000)
        let framed = Array("a\r\n0123456789\r\nA\r\nabcdefghij\r\n10000\r\n".utf8) + payload + Array("\r\n0\r\n\r\n".utf8)
        let pieces = stride(from: 0, to: framed.count, by: 1000).map { Array(framed[$0..<min($0 + 1000, framed.count)]) }
        let result = decode(pieces)
        #expect(result.error == nil)
        #expect(result.body == Array("0123456789abcdefghij".utf8) + payload)
    }

    @Test func extensionsAndTrailersAreSkipped() {
        let result = decode("5;name=value;flag\r\nhello\r\n1 ; q=\"a b\"\r\n!\r\n0;last\r\nX-Checksum: abc\r\nX-Other:1\r\n\r\n")
        #expect(result.error == nil)
        #expect(String(decoding: result.body, as: UTF8.self) == "hello!")
        if case .complete = result.progress {} else { Issue.record("not complete: \(String(describing: result.progress))") }
    }

    @Test func bytesAfterTheBodyAreLeftAlone() {
        let next = "GET /next HTTP/1.1\r\n\r\n"
        let result = decode("3\r\nabc\r\n0\r\n\r\n" + next)
        #expect(String(decoding: result.body, as: UTF8.self) == "abc")
        #expect(result.progress == .complete(consumed: 13))
    }

    @Test func emptyBody() {
        #expect(decode("0\r\n\r\n").progress == .complete(consumed: 5))
        #expect(decode("000\r\n\r\n").body.isEmpty)
    }

    @Test(arguments: [
        ("\r\n", "chunk size expected"),
        ("z\r\n", "chunk size expected"),
        ("5x\r\nhello\r\n", "invalid byte in chunk size"),
        ("5 x\r\nhello\r\n", "invalid byte in chunk size"),
        ("5\nhello\r\n", "invalid byte in chunk size"),
        ("5\r\rhello", "missing CRLF after size line"),
        ("5\r\nhelloX\r\n", "missing CRLF after chunk data"),
        ("5\r\nhello\rX", "missing CRLF after chunk data"),
        ("5\r\nhello\n0\r\n\r\n", "missing CRLF after chunk data"),
        ("1000000000000000\r\n", "chunk size too long"),
        ("5;a\u{1}b\r\nhello\r\n", "invalid byte in chunk extension"),
        ("0\r\nno colon\r\n\r\n", "trailer line without a colon"),
        ("0\r\nA: b\r\r", "missing CRLF after trailer line"),
        ("0\r\n\rX", "missing CRLF after trailer section"),
        ("0\r\nA: \u{7F}\r\n\r\n", "invalid byte in trailer"),
    ])
    func malformedFramingIsRefused(_ input: String, _ reason: String) {
        #expect(decode(input).error == reason)
    }

    @Test func linesAndTrailersAreBounded() {
        let longExtension = "5;" + String(repeating: "x", count: ChunkedBodyDecoder.maxLineBytes) + "\r\nhello\r\n"
        #expect(decode(longExtension).error == "chunk line too long")
        let trailerLine = "X-Pad: " + String(repeating: "y", count: 1000) + "\r\n"
        let manyTrailers = "0\r\n" + String(repeating: trailerLine, count: 20) + "\r\n"
        #expect(decode(manyTrailers).error == "trailer section too large")
    }
}

@Suite struct RequestBodyFramingTests {
    private func framing(_ method: String, _ headers: [(String, String)], http11: Bool = true) -> RequestBodyFraming {
        RequestBodyFraming(method: method, headers: HTTPHeaders(headers), isHTTP11: http11)
    }

    @Test func lengthsAndChunkedBodies() {
        #expect(framing("POST", [("content-length", "12")]) == .length(12))
        #expect(framing("POST", [("content-length", "0")]) == .length(0))
        #expect(framing("PUT", [("content-length", "0")]) == .none)
        #expect(framing("GET", []) == .none)
        for method in ["POST", "PUT", "PATCH"] {
            #expect(framing(method, [("transfer-encoding", "chunked")]) == .chunked)
        }
        #expect(framing("POST", [("transfer-encoding", " Chunked ")]) == .chunked)
    }

    @Test func refusals() {
        func code(_ value: RequestBodyFraming) -> SolverError.Code? {
            if case .refused(let code, _) = value { code } else { nil }
        }
        #expect(code(framing("POST", [])) == .lengthRequired)
        #expect(code(framing("PATCH", [], http11: false)) == .lengthRequired)
        #expect(code(framing("POST", [("transfer-encoding", "chunked")], http11: false)) == .malformedRequest)
        #expect(code(framing("POST", [("transfer-encoding", "chunked"), ("content-length", "5")])) == .malformedRequest)
        #expect(code(framing("POST", [("transfer-encoding", "gzip, chunked")])) == .malformedRequest)
        #expect(code(framing("GET", [("transfer-encoding", "chunked")])) == .malformedRequest)
        #expect(code(framing("POST", [("content-length", "-1")])) == .malformedRequest)
        #expect(code(framing("POST", [("content-length", "ten")])) == .malformedRequest)
    }
}
