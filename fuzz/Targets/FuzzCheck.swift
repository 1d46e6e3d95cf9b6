import Glibc
import SolverCore

/// Shared by every fuzz target: a decoder may accept an input or reject it with a `SolverError`, never anything
/// else. A foreign error type or the `internal` code is a bug, turned into a trap so libFuzzer records the input.
enum FuzzCheck {
    static func expectSolverError(_ error: any Error) {
        guard let solverError = error as? SolverError else {
            fatalError("decoder threw a non-SolverError: \(type(of: error)) \(error)")
        }
        if solverError.code == "internal" {
            fatalError("decoder reported an internal error: \(solverError)")
        }
    }

    /// With `FUZZ_LIST_ACCEPTED=1`, accepted inputs are announced on stderr (used to sort a merged corpus into
    /// `valid-*` and malformed files before committing it).
    static let listAccepted = getenv("FUZZ_LIST_ACCEPTED") != nil

    static func accepted() {
        if listAccepted { fputs("FUZZ-ACCEPTED\n", stderr) }
    }

    /// Copies libFuzzer's buffer (which may be empty with a nil pointer).
    static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}
