import SolverCore

/// Binary forms for distributed verification messages: a `ProbeTask` (`u8(version=1)`, rows, row starts,
/// columns, values, x at the columns, b of the rows) and a vote's residuals (a length-prefixed array of doubles).
extension ProbeTask {
    static let binaryVersion: UInt8 = 1

    public func encodeBinary() -> [UInt8] {
        var w = SnapshotWriter()
        w.write(Self.binaryVersion)
        w.write(rows)
        w.write(rowStarts)
        w.write(columns)
        w.write(values)
        w.write(xAtColumns)
        w.write(rightHandSide)
        return w.bytes
    }

    /// Decodes `encodeBinary` output; a corrupt or inconsistent record throws, never traps.
    public static func decodeBinary(_ bytes: [UInt8]) throws -> ProbeTask {
        var r = SnapshotReader(bytes)
        guard try r.read(UInt8.self) == binaryVersion else {
            throw SolverError(.invalidSnapshot, "unknown probe task version", field: "probe_task")
        }
        let task = try ProbeTask(rows: try r.readInts(), rowStarts: try r.readInts(), columns: try r.readInt32s(),
                                 values: try r.readDoubles(), xAtColumns: try r.readDoubles(), rightHandSide: try r.readDoubles())
        guard r.isAtEnd, task.columns.allSatisfy({ $0 >= 0 }) else {
            throw SolverError(.invalidSnapshot, "corrupt probe task", field: "probe_task")
        }
        return task
    }
}

extension SwarmVote {
    public static func encodeResiduals(_ residuals: [Double]) -> [UInt8] {
        var w = SnapshotWriter()
        w.write(residuals)
        return w.bytes
    }

    public static func decodeResiduals(_ bytes: [UInt8]) throws -> [Double] {
        var r = SnapshotReader(bytes)
        let residuals = try r.readDoubles()
        guard r.isAtEnd else { throw SolverError(.invalidSnapshot, "trailing bytes in a vote", field: "vote") }
        return residuals
    }
}
