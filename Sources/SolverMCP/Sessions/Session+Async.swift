import Dispatch
import SolverCore
import SolverSession

/// Async forms of the session calls the tools use; the work runs on the session's queue, never on the caller's.
extension Session {
    /// Submits and waits (suspended, no thread held) for the acknowledgement; `acknowledge` runs with the seq
    /// before the update can be applied.
    func acknowledged(_ update: CostUpdate, acknowledge: @escaping @Sendable (UInt64) -> Void) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            submit(update) { (result: Result<UInt64, SolverError>) in
                if case .success(let seq) = result { acknowledge(seq) }
                continuation.resume(with: result)
            }
        }
    }

    func solution(indices: [Int]?) async throws -> SolutionRead {
        try await withCheckedThrowingContinuation { continuation in
            readSolution(indices: indices) { continuation.resume(with: $0) }
        }
    }

    func verification(probeCount: Int?, indices: [Int]?) async throws -> VerificationResult {
        try await withCheckedThrowingContinuation { continuation in
            verify(probeCount: probeCount, indices: indices) { continuation.resume(with: $0) }
        }
    }
}

/// Runs O(nnz) work (decoding a matrix, building a session) on a Dispatch queue instead of a cooperative thread.
enum OffloadedWork {
    private static let queue = DispatchQueue(label: "solverd.mcp.work", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
