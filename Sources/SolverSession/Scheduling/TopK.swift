/// Keeps the `capacity` highest-scoring indices seen, in a min-heap: O(log k) per offer that enters.
struct TopK {
    private var heap: [(index: Int, score: Double)] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        heap.reserveCapacity(self.capacity)
    }

    mutating func offer(_ index: Int, _ score: Double) {
        guard capacity > 0 else { return }
        if heap.count < capacity {
            heap.append((index, score))
            siftUp(heap.count - 1)
        } else if score > heap[0].score {
            heap[0] = (index, score)
            siftDown(0)
        }
    }

    func indicesByDecreasingScore() -> [Int] {
        heap.sorted { $0.score > $1.score }.map(\.index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].score < heap[parent].score else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].score < heap[smallest].score { smallest = left }
            if right < heap.count, heap[right].score < heap[smallest].score { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
