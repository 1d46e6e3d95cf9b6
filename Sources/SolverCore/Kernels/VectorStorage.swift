/// Work-vector storage helpers for the methods' `restart`: they reuse an array's buffer instead of allocating.
///
/// Invariant: the buffer pointers cover exactly the array's own elements (`update(repeating:)` and
/// `update(fromContentsOf:)` write `count` elements into a buffer of `count`); no pointer escapes a call.
extension Array where Element == Double {
    /// Makes this a zero vector of length `count`, reusing the storage when the length already matches.
    mutating func resetToZeros(count: Int) {
        if self.count == count {
            withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            self = [Double](repeating: 0, count: count)
        }
    }
}

extension Array where Element == Double {
    /// Makes this an element-wise copy of `source` in its own storage (reused when the length matches), so later
    /// writes to either never trigger a copy-on-write of a whole vector inside a step.
    mutating func assign(_ source: [Double]) {
        resetToZeros(count: source.count)
        withUnsafeMutableBufferPointer { destination in
            source.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0) }
        }
    }
}
