import SolverCore

/// Strict RFC 8259 JSON reader, written for request bodies of tens of megabytes.
///
/// Foundation's `JSONSerialization` boxes every number in an `NSNumber` and accepts some non-standard input; this
/// reader stores numeric arrays as `[Double]` (`JSONValue.numbers`) and rejects, with the byte offset:
/// invalid UTF-8, lone surrogates (raw or escaped), control characters in strings, leading zeros, numbers that do
/// not fit a finite `Double` (`1e400`), duplicate object keys, nesting deeper than `maxDepth` and anything after
/// the value. Every error is a `SolverError` with code `invalid_json` and no `field`.
public enum JSONReader {
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String, maxDepth: Int = 64) throws -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}
