import SolverCore

/// A session's state as a versioned binary blob (matrix, `b`, `x`, `r`, sequence numbers, options), for
/// persistence and migration between nodes. Format version 2, little-endian:
/// `"SLVS" u32(version)` then the fields in the order `encode` writes them; version 2 appends the share list and
/// the swarm cost reports (`CostAggregator`), and version 1 blobs still decode (with neither).
public struct SessionSnapshot: Sendable, Equatable {
    public static let magic: [UInt8] = Array("SLVS".utf8)
    public static let version: UInt32 = 2

    public var id: SessionID
    public var owner: String?
    public var sharedWith: Set<String> = []
    public var createdAt: Double
    public var options: SessionOptions
    /// The seq the restored session continues from: every later update or event takes a larger one.
    public var nextSeq: UInt64
    public var lastAppliedSeq: UInt64
    public var iteration: Int
    public var matrix: CSRMatrix
    public var b: [Double]
    public var x: [Double]
    public var r: [Double]
    /// The nodes' latest cost reports, so a restored session combines new ones exactly as this one would.
    var aggregator = CostAggregator()

    public func encode() -> [UInt8] {
        var w = SnapshotWriter()
        for byte in Self.magic { w.write(byte) }
        w.write(Self.version)
        w.write(id.rawValue)
        w.write(owner ?? "")
        w.write(createdAt)
        w.write(options.method.rawValue)
        w.write(options.tolerance)
        w.write(Int64(options.maxIterations))
        w.write(options.preconditioner?.rawValue ?? "")
        w.write(Int64(options.verificationInterval))
        w.write(Int64(options.probeCount))
        w.write(options.swarmEnabled)
        w.write(Int64(options.convergenceIterations))
        w.write(options.relaxation)
        w.write(options.flowNexus != nil)
        w.write(options.flowNexus?.swarmTopology ?? "")
        w.write(options.flowNexus?.costAggregation ?? "")
        w.write(options.flowNexus?.verificationStrategy ?? "")
        w.write(nextSeq)
        w.write(lastAppliedSeq)
        w.write(Int64(iteration))
        w.write(Int64(matrix.rows))
        w.write(Int64(matrix.cols))
        w.write(Array(matrix.rowPointers))
        w.write(matrix.colIndices)
        w.write(matrix.values)
        w.write(b)
        w.write(x)
        w.write(r)
        w.write(UInt64(sharedWith.count))
        for name in sharedWith.sorted() { w.write(name) }
        aggregator.encode(into: &w)
        return w.bytes
    }

    /// Decodes and validates a blob (the matrix through `CSRMatrix`'s checks); throws `invalid_snapshot` or the
    /// matrix error.
    public static func decode(_ bytes: [UInt8]) throws -> SessionSnapshot {
        var rd = SnapshotReader(bytes)
        for byte in magic where try rd.read(UInt8.self) != byte {
            throw SolverError(.invalidSnapshot, "not a solverd session snapshot", field: "snapshot")
        }
        let version: UInt32 = try rd.read()
        guard version == 1 || version == Self.version else {
            throw SolverError(.invalidSnapshot, "snapshot version \(version) is not supported (expected \(Self.version))", field: "snapshot")
        }
        let id = try SessionID(validating: try rd.readString())
        let owner = try rd.readString()
        let createdAt = try rd.readDouble()
        var options = SessionOptions()
        options.method = try MethodKind.parse(try rd.readString())
        options.tolerance = try rd.readDouble()
        options.maxIterations = Int(try rd.read(Int64.self))
        let preconditioner = try rd.readString()
        options.preconditioner = preconditioner.isEmpty ? nil : try PreconditionerKind.parse(preconditioner)
        options.verificationInterval = Int(try rd.read(Int64.self))
        options.probeCount = Int(try rd.read(Int64.self))
        options.swarmEnabled = try rd.readBool()
        options.convergenceIterations = Int(try rd.read(Int64.self))
        options.relaxation = try rd.readDouble()
        let hasFlowNexus = try rd.readBool()
        let (topology, aggregation, strategy) = (try rd.readString(), try rd.readString(), try rd.readString())
        if hasFlowNexus {
            options.flowNexus = try FlowNexusOptions(swarmTopology: topology, costAggregation: aggregation, verificationStrategy: strategy)
        }
        try options.validate()
        let nextSeq: UInt64 = try rd.read()
        let lastAppliedSeq: UInt64 = try rd.read()
        let iteration = Int(try rd.read(Int64.self))
        let rows = Int(try rd.read(Int64.self)), cols = Int(try rd.read(Int64.self))
        let matrix = try CSRMatrix(rows: rows, cols: cols, rowPointers: try rd.readInts(), colIndices: try rd.readInt32s(),
                                   values: try rd.readDoubles(), fieldPrefix: "snapshot.matrix")
        let (b, x, r) = (try rd.readDoubles(), try rd.readDoubles(), try rd.readDoubles())
        var sharedWith = Set<String>()
        if version >= 2 {
            let count = try rd.read(UInt64.self)
            guard count <= UInt64(bytes.count) else { throw SolverError(.invalidSnapshot, "share list is corrupt", field: "snapshot") }
            for _ in 0..<count { sharedWith.insert(try rd.readString()) }
        }
        let aggregator = version >= 2 ? try CostAggregator.decode(from: &rd, dimension: rows) : CostAggregator()
        guard rd.isAtEnd, b.count == rows, x.count == rows, r.count == rows else {
            throw SolverError(.invalidSnapshot, "vector lengths do not match the matrix or trailing bytes remain", field: "snapshot")
        }
        return SessionSnapshot(id: id, owner: owner.isEmpty ? nil : owner, sharedWith: sharedWith, createdAt: createdAt, options: options,
                               nextSeq: nextSeq, lastAppliedSeq: lastAppliedSeq, iteration: iteration, matrix: matrix,
                               b: b, x: x, r: r, aggregator: aggregator)
    }
}

extension SessionRegistry {
    /// Recreates a session from a snapshot: same id, options and solution; sequence numbers continue after the
    /// snapshot's, and `r` is recomputed exactly from `b − A x`.
    public func restore(_ snapshot: SessionSnapshot) throws -> Session {
        var spec = SessionSpec(id: snapshot.id, matrix: snapshot.matrix, rightHandSide: snapshot.b,
                               initialGuess: snapshot.x, options: snapshot.options, owner: snapshot.owner)
        spec.sharedWith = snapshot.sharedWith
        spec.restoredState = RestoredState(createdAt: snapshot.createdAt, nextSeq: snapshot.nextSeq,
                                           lastAppliedSeq: snapshot.lastAppliedSeq, iteration: snapshot.iteration,
                                           aggregator: snapshot.aggregator)
        return try create(spec)
    }
}

/// Counters a restored session continues from.
public struct RestoredState: Sendable, Equatable {
    public var createdAt: Double
    public var nextSeq: UInt64
    public var lastAppliedSeq: UInt64
    public var iteration: Int
    var aggregator = CostAggregator()
}
