import Foundation
import Testing
@testable import SolverWire

@Suite struct JSONWriterTests {
    func text(_ body: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        body(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func commasAndNesting() {
        let s = text { w in
            w.object { w in
                w.field("a", 1)
                w.field("b") { w in w.field("c", true) }
                w.key("d")
                w.array { w in
                    w.value("x")
                    w.null()
                    w.object { _ in }
                }
                w.field("e", nil as String?)
                w.field("f", [1.5, 2])
            }
        }
        #expect(s == #"{"a":1,"b":{"c":true},"d":["x",null,{}],"f":[1.5,2]}"#)
    }

    @Test func doubles() {
        #expect(text { $0.value([0.1, -0.0, 2, 1e300, .nan, .infinity, 1e-7]) } == "[0.1,-0.0,2,1e+300,null,null,1e-07]")
    }

    @Test func escaping() throws {
        let s = "quote\" back\\ nl\n tab\t ctl\u{1} é😀"
        let out = text { $0.value(s) }
        #expect(out == #""quote\" back\\ nl\n tab\t ctl\u0001 é😀""#)
        #expect(try JSONReader.parse(out) == .string(s))
        let foundation = try JSONSerialization.jsonObject(with: Data(out.utf8), options: .fragmentsAllowed) as? String
        #expect(foundation == s)
    }

    @Test func roundTripsValues() throws {
        let doc: JSONValue = .object([
            "n": .null, "b": .bool(false), "s": .string("ü\n"), "xs": .numbers([1, -2.5]),
            "mixed": .array([.number(1), .string("a"), .object(["k": .array([])])]),
        ])
        var w = JSONWriter()
        w.value(doc)
        #expect(try JSONReader.parse(w.bytes) == doc)
    }
}
