import SolverCore
import SolverWire

/// libFuzzer target: the input is the `matrix` member of a `solve_request` (every layout of MatrixInput), decoded
/// through JSONReader and `SolveRequest.decode` as the HTTP API does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSolveRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Array(#"{"type":"solve_request","vector":[1,2,3],"matrix":"#.utf8) + FuzzCheck.bytes(data, size) + [UInt8(ascii: "}")]
    do {
        _ = try SolveRequest.decode(JSONReader.parse(body), limits: MatrixLimits())
        FuzzCheck.accepted()
    } catch {
        FuzzCheck.expectSolverError(error)
    }
    return 0
}
