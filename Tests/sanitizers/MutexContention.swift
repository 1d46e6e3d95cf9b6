// Evidence for Tests/sanitizers/tsan.supp: TSan reports a "Swift access race" on state that is only ever touched
// inside Mutex.withLock, once the lock is contended (the usleep makes it so). The count printed is always right.
//   swiftc -sanitize=thread -g Tests/sanitizers/MutexContention.swift -o /tmp/MutexContention && /tmp/MutexContention
import Synchronization
import Dispatch
import Glibc
struct State: ~Copyable { var ready: [UInt64] = [] }
final class Waker: Sendable {
    private let state = Mutex(State())
    func wake(_ id: UInt64) { state.withLock { s in s.ready.append(id); usleep(50) } }
    func drain() -> [UInt64] { state.withLock { s in defer { s.ready.removeAll(keepingCapacity: true) }; usleep(50); return s.ready } }
}
let w = Waker()
DispatchQueue.concurrentPerform(iterations: 4) { i in
    for k in 0..<500 { if i == 0 { _ = w.drain() } else { w.wake(UInt64(k)) } }
}
print(w.drain().count)
