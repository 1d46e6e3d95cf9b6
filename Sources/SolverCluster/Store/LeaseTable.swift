import SolverSession
import Synchronization

/// The leases this node holds: session → fencing epoch. Written by the lease keeper, read by every fenced write.
public final class LeaseTable: Sendable {
    private let leases = Mutex<[SessionID: UInt64]>([:])
    public init() {}

    public func epoch(_ id: SessionID) -> UInt64? { leases.withLock { $0[id] } }
    public func set(_ id: SessionID, epoch: UInt64) { leases.withLock { $0[id] = epoch } }
    @discardableResult
    public func remove(_ id: SessionID) -> UInt64? { leases.withLock { $0.removeValue(forKey: id) } }
    public var all: [SessionID: UInt64] { leases.withLock { $0 } }
}
