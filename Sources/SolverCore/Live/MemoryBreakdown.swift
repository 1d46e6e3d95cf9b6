/// What a live session holds, by component, in bytes (`GET /api/v1/status/{id}` → `memory`). Every figure is
/// counted from the buffers themselves (`MemoryAccounting`), so `total` is what the session's arrays occupy; object
/// headers and the allocator's slack are not in it (the sessions benchmark measures that gap against RSS).
public struct MemoryBreakdown: Sendable, Equatable {
    /// `A` in CSR form, its diagonal index and new nonzeros waiting to be merged.
    public var matrix = 0
    /// The column copy of `A` push keeps for a nonsymmetric matrix (none while `A` is symmetric).
    public var transpose = 0
    /// `b`, `x`, `r`, the residual sum tree and the frame baseline (`x` at the last frame).
    public var vectors = 0
    /// The running method's work vectors (CG's direction, product and preconditioned residual, GMRES's basis, …);
    /// freed when a solve ends and rebuilt by the next one.
    public var workspace = 0
    /// Jacobi's inverse diagonal, IC(0)'s `L`, ILU(0)'s factors.
    public var preconditioner = 0
    /// A sparse direct factor, its low-rank correction and the copy of the factored values.
    public var factor = 0
    /// Forward push's per-row marks and row lists (allocated on the first local re-convergence).
    public var livePush = 0
    /// Retained events and frames, and events waiting for slow subscribers (estimated per event).
    public var events = 0
    /// The swarm's cost reports per entry of `b` (estimated per contribution).
    public var swarm = 0
    /// Bookkeeping lists (changed rows, pending tree leaves, recent norms).
    public var other = 0

    public init() {}

    public var total: Int {
        matrix + transpose + vectors + workspace + preconditioner + factor + livePush + events + swarm + other
    }

    /// `(name, bytes)` in a fixed order, snake_case as on the wire.
    public var components: [(name: String, bytes: Int)] {
        [("matrix", matrix), ("transpose", transpose), ("vectors", vectors), ("workspace", workspace),
         ("preconditioner", preconditioner), ("factor", factor), ("live_push", livePush), ("events", events),
         ("swarm", swarm), ("other", other)]
    }
}

/// Bytes of array storage, for `MemoryBreakdown`.
public enum MemoryAccounting {
    /// Bytes `array`'s buffer holds: its capacity, which is what was allocated.
    public static func bytes<T>(_ array: [T]) -> Int { array.capacity * MemoryLayout<T>.stride }

    /// Bytes of several vectors' buffers.
    public static func bytes(vectors: [Double]...) -> Int { vectors.reduce(0) { $0 + bytes($1) } }

    /// Bytes of an array of arrays: the outer buffer and every inner one.
    public static func bytes<T>(nested arrays: [[T]]) -> Int { arrays.reduce(bytes(arrays)) { $0 + bytes($1) } }

    /// Bytes of `array` unless its buffer is `other`'s too (copy-on-write sharing: counted once, by its other holder).
    public static func bytes<T>(_ array: [T], unlessSharedWith other: [T]) -> Int {
        sharesStorage(array, other) ? 0 : bytes(array)
    }

    /// Whether two arrays point at one buffer (an empty array shares nothing worth counting).
    public static func sharesStorage<T>(_ a: [T], _ b: [T]) -> Bool {
        guard a.capacity > 0, b.capacity > 0 else { return false }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress } }
    }
}

extension CSRMatrix {
    /// Bytes of its three arrays.
    public var memoryBytes: Int {
        rowPointers.memoryBytes + MemoryAccounting.bytes(colIndices) + MemoryAccounting.bytes(values)
    }

    /// Bytes of its arrays that are not `other`'s too (a factorisation that copied `A` and changed only values).
    public func memoryBytes(unlessSharedWith other: CSRMatrix) -> Int {
        rowPointers.memoryBytes(unlessSharedWith: other.rowPointers)
            + MemoryAccounting.bytes(colIndices, unlessSharedWith: other.colIndices)
            + MemoryAccounting.bytes(values, unlessSharedWith: other.values)
    }
}
