import CZlib

/// gzip (RFC 1952) compression of whole response bodies with zlib, for clients that send
/// `Accept-Encoding: gzip`.
enum Gzip {
    /// Bodies below this many bytes go out as they are: the gzip header and a round trip through zlib cost more
    /// than they save.
    static let minimumBytes = 1024

    /// The gzip-compressed `input`, or nil if zlib fails (the caller then sends the body uncompressed).
    static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks deflate for a gzip wrapper instead of a raw zlib stream.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        // Invariant: next_in/next_out point into `input`/`output`, which outlive the deflate call; avail_* are
        // their lengths, so zlib never reads or writes past them. Neither pointer escapes this scope.
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = uInt(destination.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }
}
