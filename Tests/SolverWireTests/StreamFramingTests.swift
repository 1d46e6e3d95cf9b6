import Testing
@testable import SolverWire

@Suite struct StreamFramingTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func ndjson() {
        #expect(text(StreamFraming.ndjson(Array(#"{"a":1}"#.utf8))) == "{\"a\":1}\n")
    }

    @Test func sse() {
        let json = WireEncoder.pong(ref: "x\ny")
        #expect(text(StreamFraming.sse(type: "pong", id: 12, json: json))
            == "event: pong\nid: 12\ndata: {\"type\":\"pong\",\"ref\":\"x\\ny\"}\n\n")
        #expect(text(StreamFraming.sse(type: "a\nb", id: nil, json: Array("{}".utf8))) == "event: a b\ndata: {}\n\n")
        #expect(text(StreamFraming.sseComment("keep\r\nalive")) == ": keep alive\n\n")
    }
}
