import SolverCore

/// Little-endian binary writer for snapshot blobs.
struct SnapshotWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func write(_ value: Double) { write(value.bitPattern) }
    mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }
    mutating func write(_ value: String) {
        let utf8 = Array(value.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func write(_ values: [Double]) {
        write(UInt64(values.count))
        for v in values { write(v.bitPattern) }
    }
    mutating func write(_ values: [Int]) {
        write(UInt64(values.count))
        for v in values { write(Int64(v)) }
    }
    mutating func write(_ values: [Int32]) {
        write(UInt64(values.count))
        for v in values { write(v) }
    }
}

/// Reader matching `SnapshotWriter`; every read is bounds-checked and a short or inconsistent blob throws
/// `invalid_snapshot` instead of trapping. Array lengths are checked against the bytes left before allocating.
struct SnapshotReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private func fail(_ what: String) -> SolverError {
        SolverError(.invalidSnapshot, "snapshot is truncated or corrupt at byte \(offset) (\(what))", field: "snapshot")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw fail("\(T.self)") }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for k in 0..<size { raw[k] = bytes[offset + k] }
        }
        offset += size
        return T(littleEndian: value)
    }
    mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }
    mutating func readBool() throws -> Bool { try read(UInt8.self) != 0 }
    mutating func readString() throws -> String {
        let count = Int(try read(UInt32.self))
        guard count <= bytes.count - offset else { throw fail("string length") }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }
    private mutating func readCount(elementSize: Int) throws -> Int {
        let count = try read(UInt64.self)
        guard count <= UInt64((bytes.count - offset) / elementSize) else { throw fail("array length") }
        return Int(count)
    }
    mutating func readDoubles() throws -> [Double] {
        let count = try readCount(elementSize: 8)
        return try (0..<count).map { _ in try readDouble() }
    }
    mutating func readInts() throws -> [Int] {
        let count = try readCount(elementSize: 8)
        return try (0..<count).map { _ in Int(try read(Int64.self)) }
    }
    mutating func readInt32s() throws -> [Int32] {
        let count = try readCount(elementSize: 4)
        return try (0..<count).map { _ in try read(Int32.self) }
    }
}
