import Foundation
import Testing
import SolverCore
import SolverTestSupport
@testable import SolverWire

/// A body of the size the server accepts (~50 MB, millions of numbers) parses and decodes. Correctness only; with
/// `SOLVERD_WIRE_TIMING=1` it also prints how long it took (no unit test asserts a time).
@Suite struct LargeBodyTests {
    static let printTiming = ProcessInfo.processInfo.environment["SOLVERD_WIRE_TIMING"] == "1"

    /// CSR of a 2-D Laplacian with values written the way clients do (full 17-digit doubles).
    static func body(side: Int) -> (bytes: [UInt8], matrix: CSRMatrix) {
        let m = MatrixGenerators.laplacian2D(side: side, shift: 0.1234567890123)
        var w = JSONWriter(reservingCapacity: m.nnz * 30)
        w.object { w in
            w.field("type", "solve_request")
            w.field("matrix") { w in
                w.field("rows", m.rows)
                w.field("data") { w in
                    w.field("row_pointers", Array(m.rowPointers))
                    w.field("col_indices", m.colIndices.map(Int.init))
                    w.field("values", m.values.map { $0 * 1.000000000000001 })
                }
            }
            w.field("vector", (0..<m.rows).map { Double($0 % 97) / 7 })
        }
        return (w.bytes, m)
    }

    @Test func largeBody() throws {
        let side = Self.printTiming ? 700 : 120
        let (bytes, m) = Self.body(side: side)
        let clock = ContinuousClock()
        var json = JSONValue.null
        let parse = try clock.measure { json = try JSONReader.parse(bytes) }
        var request: SolveRequest?
        let decode = try clock.measure { request = try SolveRequest.decode(json, limits: MatrixLimits()) }
        let spec = try #require(request?.spec)
        #expect(spec.matrix.rows == m.rows && spec.matrix.nnz == m.nnz)
        #expect(spec.matrix.colIndices == m.colIndices)
        if Self.printTiming {
            let numbers = m.rowPointers.count + 2 * m.nnz + m.rows
            print("SolverWire large body: \(bytes.count / 1_000_000) MB, \(numbers) numbers: parse \(parse), decode \(decode)")
        }
    }
}
