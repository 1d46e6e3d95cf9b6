import SolverCore

/// libFuzzer target: a Matrix Market file fed to `MatrixMarketReader` in chunks. The first byte picks the chunk
/// size (1…64 bytes), so lines straddle chunks at every offset; the rest is the file. Both endings are tried:
/// `finish()` (a matrix) and, on a copy of the reader, `finishVector()` (a right-hand side).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMatrixMarket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzCheck.bytes(data, size)
    guard let first = input.first else { return 0 }
    let chunk = 1 + Int(first % 64)
    var reader = MatrixMarketReader()
    do {
        var start = 1
        while start < input.count {
            let end = min(start + chunk, input.count)
            try reader.feed(bytes: input[start..<end])
            start = end
        }
    } catch {
        FuzzCheck.expectSolverError(error)
        return 0
    }
    var vectorReader = reader
    do {
        _ = try reader.finish()
        FuzzCheck.accepted()
    } catch {
        FuzzCheck.expectSolverError(error)
    }
    do { _ = try vectorReader.finishVector() } catch { FuzzCheck.expectSolverError(error) }
    return 0
}
