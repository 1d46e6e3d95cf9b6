import Foundation
import SolverCore

/// Streams files into the SolverCore parsers in 64 KiB pieces, so a large Matrix Market file is never held whole.
enum MatrixFiles {
    static let chunkSize = 1 << 16

    static func feed<Consumer: ByteChunkConsumer>(_ path: String, into consumer: inout Consumer) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SolverError(.invalidArgument, "cannot open \(path)", field: "file")
        }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
            try consumer.feed(bytes: [UInt8](chunk))
        }
    }

    static func readMatrix(_ path: String, limits: MatrixLimits = MatrixLimits()) throws -> CSRMatrix {
        var reader = MatrixMarketReader(limits: limits)
        try feed(path, into: &reader)
        return try reader.finish()
    }

    /// A right-hand side: a Matrix Market array/coordinate vector, or plain numbers separated by white space.
    static func readVector(_ path: String, limits: MatrixLimits = MatrixLimits()) throws -> [Double] {
        var reader = VectorReader(limits: limits)
        try feed(path, into: &reader)
        return try reader.finish()
    }
}
