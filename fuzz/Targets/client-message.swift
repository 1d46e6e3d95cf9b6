import SolverCore
import SolverWire

/// libFuzzer target: one WebSocket text message through `ClientMessage.decode` (JSONReader, every message type).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        _ = try ClientMessage.decode(FuzzCheck.bytes(data, size), limits: MatrixLimits())
        FuzzCheck.accepted()
    } catch {
        FuzzCheck.expectSolverError(error.error)
    }
    return 0
}
