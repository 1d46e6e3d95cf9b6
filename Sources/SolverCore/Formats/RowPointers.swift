/// The row pointers of a `CSRMatrix`, stored as `UInt32` (4 bytes a row instead of 8) and read as `Int`. Every
/// builder keeps `nnz` within `CSRMatrix.maxNonzeros`, so each pointer fits.
public struct RowPointers: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral {
    @usableFromInline var storage: [UInt32]

    /// From pointers already known to be at most `CSRMatrix.maxNonzeros`.
    public init(_ pointers: [Int]) {
        storage = pointers.map { UInt32(truncatingIfNeeded: $0) }
    }

    public init(arrayLiteral pointers: Int...) { self.init(pointers) }

    init(storage: [UInt32]) { self.storage = storage }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    @inlinable
    public subscript(i: Int) -> Int { Int(storage[i]) }

    /// The raw pointers for the kernels; no pointer escapes `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    var memoryBytes: Int { MemoryAccounting.bytes(storage) }

    func memoryBytes(unlessSharedWith other: RowPointers) -> Int {
        MemoryAccounting.bytes(storage, unlessSharedWith: other.storage)
    }
}
