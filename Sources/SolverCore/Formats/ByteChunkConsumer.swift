/// A push parser fed input in chunks of any size, cut anywhere (the caller streams a file or a request body
/// without holding it whole). Conformers implement the `ArraySlice` entry point; the others forward to it.
public protocol ByteChunkConsumer {
    /// Consumes the next chunk. After an error the consumer is spent: every later call throws the same error.
    mutating func feed(bytes: ArraySlice<UInt8>) throws
}

extension ByteChunkConsumer {
    public mutating func feed(bytes: [UInt8]) throws {
        try feed(bytes: bytes[...])
    }

    /// Any byte collection (`UnsafeRawBufferPointer`, `Data`, `String.UTF8View`), copied once into an array.
    @inlinable
    public mutating func feed<C: Collection>(bytes: C) throws where C.Element == UInt8 {
        try feed(bytes: Array(bytes)[...])
    }
}
