import Dispatch
import SolverCore

/// A `ParallelLoop` over `DispatchQueue.concurrentPerform`, for kernels of large systems outside the session pool
/// (the CLI, benchmarks). Sessions run their kernels sequentially: the pool already spreads sessions over cores.
public struct ConcurrentLoop: ParallelLoop {
    public let width: Int

    public init(width: Int = SessionScheduler.defaultWidth) {
        self.width = max(1, width)
    }

    public func run(chunks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { unchecked.body($0) }
        }
    }
}

/// `ParallelLoop.run` promises that each chunk writes only memory it owns, which is what makes calling the body
/// from several threads sound.
private struct UncheckedBody: @unchecked Sendable {
    let body: (Int) -> Void
}
