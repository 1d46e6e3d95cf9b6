/// Runs independent pieces of a kernel, possibly on several threads.
///
/// SolverCore does no threading of its own (no Dispatch): the layer that owns the threads (the session scheduler,
/// the CLI) passes a loop in. Kernels split their work into `width` or more chunks and call `run`.
public protocol ParallelLoop: Sendable {
    /// How many chunks can make progress at once; kernels split work into at least this many pieces.
    var width: Int { get }
    /// Calls `body(c)` once for every `c` in `0..<chunks`, possibly concurrently, and returns when all are done.
    /// `body` must only write to memory owned by its chunk.
    func run(chunks: Int, _ body: (Int) -> Void)
}

/// Runs every chunk on the calling thread, in order.
public struct SequentialLoop: ParallelLoop {
    public init() {}
    public var width: Int { 1 }
    public func run(chunks: Int, _ body: (Int) -> Void) {
        for c in 0..<chunks { body(c) }
    }
}

extension ParallelLoop where Self == SequentialLoop {
    public static var sequential: SequentialLoop { SequentialLoop() }
}
