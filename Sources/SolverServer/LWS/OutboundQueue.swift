/// FIFO of outbound byte items for one connection, consumed in bounded pieces by the service thread.
///
/// Invariants: `queuedBytes` is the sum of the unwritten bytes of all items (the head item counts from `headOffset`);
/// `headOffset < items[head].bytes.count` whenever an item is present (empty items are never stored).
/// Not thread-safe by itself: it lives inside the owning handle's `Mutex`.
struct OutboundQueue: ~Copyable {
    enum Kind: Sendable { case raw, text, binary }

    struct Item {
        var bytes: [UInt8]
        var kind: Kind
        /// Uptime (ns) when a timed item (an event frame) was queued; 0 for the others.
        var queuedAt: UInt64 = 0
    }

    /// One piece copied out of the queue.
    struct Piece {
        var count: Int
        var kind: Kind
        /// The piece starts its item (a WebSocket message's first frame).
        var isStart: Bool
        /// The piece ends its item (a WebSocket message's final frame).
        var isEnd: Bool
        /// The item's `queuedAt` (0: untimed).
        var queuedAt: UInt64 = 0
    }

    private var items: [Item] = []
    private var head = 0
    private var headOffset = 0
    private(set) var queuedBytes = 0
    /// True while the service thread has been (or will be) told to look at this queue. Cleared only by the
    /// service thread when it finds the queue empty, so a producer that sees `false` must wake it.
    private(set) var isScheduled = false

    var isEmpty: Bool { head == items.count }

    /// The overflow rule shared by every handle: refuse when something is already queued and `count` more bytes
    /// would exceed `limit` (a single item larger than the limit still goes through an empty queue).
    func admissionResult(adding count: Int, limit: Int) -> SendResult? {
        queuedBytes > 0 && queuedBytes + count > limit ? .overflow(queuedBytes: queuedBytes) : nil
    }

    /// Marks the queue scheduled; returns true when the caller must wake the service thread.
    mutating func claimWakeup() -> Bool {
        if isScheduled { return false }
        isScheduled = true
        return true
    }

    /// Service thread only: nothing more to do until a producer wakes us again.
    mutating func unschedule() { isScheduled = false }

    /// Appends an item; a WebSocket message may legitimately be empty, raw bytes may not.
    mutating func append(_ bytes: [UInt8], kind: Kind, queuedAt: UInt64 = 0) {
        if bytes.isEmpty && kind == .raw { return }
        items.append(Item(bytes: bytes, kind: kind, queuedAt: queuedAt))
        queuedBytes += bytes.count
    }

    /// Copies up to `destination.count` bytes of the head item into `destination` and advances.
    /// Returns nil when empty. Never crosses an item boundary, so each piece maps to one frame / one write.
    mutating func takePiece(into destination: UnsafeMutableRawBufferPointer) -> Piece? {
        guard !isEmpty else { return nil }
        let item = items[head]
        let isStart = headOffset == 0
        let count = min(destination.count, item.bytes.count - headOffset)
        if count > 0 {
            item.bytes.withUnsafeBytes { source in
                // Invariant: headOffset + count <= item.bytes.count and count <= destination.count.
                destination.baseAddress!.copyMemory(from: source.baseAddress! + headOffset, byteCount: count)
            }
        }
        headOffset += count
        queuedBytes -= count
        let isEnd = headOffset == item.bytes.count
        if isEnd {
            head += 1
            headOffset = 0
            compactIfWorthIt()
        }
        return Piece(count: count, kind: item.kind, isStart: isStart, isEnd: isEnd, queuedAt: item.queuedAt)
    }

    /// Packs whole WebSocket frames (header, then payload) for the head items into `destination`, as many as fit,
    /// and returns the bytes used. A message that does not fit whole is started only in an otherwise empty buffer
    /// (then it continues as fragments, each a complete frame), so small messages are never split. Every frame is
    /// complete, so lws may put its own control frames (ping, pong, close) between two batches (RFC 6455 §5.4).
    /// Raw items never appear on a WebSocket queue.
    /// Adds the `queuedAt` of every timed item it finishes to `finished`.
    mutating func takeFrames(into destination: UnsafeMutableRawBufferPointer, finished: inout [UInt64]) -> Int {
        var used = 0
        while !isEmpty {
            let left = items[head].bytes.count - headOffset
            let space = destination.count - used
            if WebSocketFrameHeader.size(payload: left) + left > space {
                // Only an empty buffer starts a fragment: the largest payload whose header still fits.
                guard used == 0, space > 10 else { break }
            }
            var count = min(left, space - 2)
            if count >= 126 { count = min(left, space - WebSocketFrameHeader.size(payload: min(left, space - 4))) }
            let headerSize = WebSocketFrameHeader.size(payload: count)
            // Invariant: headerSize + count <= space, so both regions lie inside `destination`.
            let frame = UnsafeMutableRawBufferPointer(rebasing: destination[used..<(used + headerSize + count)])
            let payload = UnsafeMutableRawBufferPointer(rebasing: frame[headerSize...])
            guard let piece = takePiece(into: payload) else { break }
            if piece.isEnd, piece.queuedAt != 0 { finished.append(piece.queuedAt) }
            _ = WebSocketFrameHeader.write(
                into: frame, payload: piece.count, isText: piece.kind == .text, isStart: piece.isStart,
                isEnd: piece.isEnd)
            used += headerSize + piece.count
        }
        return used
    }

    mutating func removeAll() {
        items.removeAll()
        head = 0
        headOffset = 0
        queuedBytes = 0
    }

    private mutating func compactIfWorthIt() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
