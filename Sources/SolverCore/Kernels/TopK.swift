/// Keeps the `capacity` highest-scoring indices seen, in a min-heap: O(log k) per offer that enters.
///
/// Scores and indices live in two flat buffers, sifted through unsafe pointers: a frame after a global step offers
/// every row (n offers, a good share of which enter while the heap fills with a smooth solution's changes), and
/// bounds and uniqueness checks on an array of pairs made that scan a twentieth of a loaded server's CPU.
public struct TopK: Sendable {
    private var scores: [Double]
    private var indices: [Int]
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        scores = [Double](repeating: 0, count: self.capacity)
        indices = [Int](repeating: 0, count: self.capacity)
    }

    public mutating func offer(_ index: Int, _ score: Double) {
        if count < capacity {
            let at = count
            count += 1
            place(index, score, at: at)
        } else if capacity > 0, score > scores[0] {
            replaceMinimum(index, score)
        }
    }

    public func indicesByDecreasingScore() -> [Int] {
        (0..<count).sorted { scores[$0] > scores[$1] }.map { indices[$0] }
    }

    /// Sifts a new entry up from `start` (the heap's new last slot).
    private mutating func place(_ index: Int, _ score: Double, at start: Int) {
        scores.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { x in
                // Invariant: start < count <= capacity == s.count == x.count, and every parent index is below it.
                var child = start
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard score < s[parent] else { break }
                    s[child] = s[parent]
                    x[child] = x[parent]
                    child = parent
                }
                s[child] = score
                x[child] = index
            }
        }
    }

    /// Puts a new entry in place of the minimum (the root) and sifts it down.
    private mutating func replaceMinimum(_ index: Int, _ score: Double) {
        let count = self.count
        scores.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { x in
                // Invariant: every slot read or written is below count <= capacity == s.count == x.count.
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < count else { break }
                    let right = left + 1
                    let smaller = right < count && s[right] < s[left] ? right : left
                    guard s[smaller] < score else { break }
                    s[parent] = s[smaller]
                    x[parent] = x[smaller]
                    parent = smaller
                }
                s[parent] = score
                x[parent] = index
            }
        }
    }
}
