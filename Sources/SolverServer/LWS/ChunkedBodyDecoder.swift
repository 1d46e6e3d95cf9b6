/// Incremental decoder for a chunked HTTP/1.1 request body (RFC 9112 §7.1), fed the raw body bytes as they arrive.
///
/// libwebsockets 4.1.6 does not de-chunk request bodies: it hands the framed bytes to `LWS_CALLBACK_HTTP_BODY`.
/// The decoder holds no buffer of its own (data is handed out as slices of the input), so memory stays bounded by
/// what the caller keeps; size lines with extensions and trailer lines are checked byte by byte and bounded
/// (`maxLineBytes`, `maxTrailerBytes`). Line ends must be CRLF. Extensions and trailer fields are skipped.
struct ChunkedBodyDecoder {
    struct Malformed: Error, Equatable {
        let reason: String
    }

    enum Progress: Equatable {
        case needsMore
        /// The terminal chunk and the trailer section ended after `consumed` bytes of the last input.
        case complete(consumed: Int)
    }

    /// Longest size line (digits and extensions) or trailer line.
    static let maxLineBytes = 4096
    /// Largest trailer section.
    static let maxTrailerBytes = 16 * 1024
    /// 15 hex digits: a size below 2^60 never overflows and is refused by any body limit long before.
    static let maxSizeDigits = 15

    private enum State: Equatable {
        case sizeDigits
        /// Whitespace after the digits (BWS): only `;` or the line end may follow.
        case sizeWhitespace
        case sizeExtension
        case sizeLineFeed
        case data(remaining: Int)
        case dataCarriageReturn
        case dataLineFeed
        case trailerLineStart
        case trailerLine(sawColon: Bool)
        case trailerLineFeed
        case finalLineFeed
        case done
    }

    private var state = State.sizeDigits
    private var size = 0
    private var digits = 0
    private var lineBytes = 0
    private var trailerBytes = 0

    var isComplete: Bool { state == .done }

    /// Consumes `input`, calling `data` with each run of body bytes (slices of `input`, valid during the call).
    /// Stops at the end of the body; bytes after it are not looked at (`complete(consumed:)` says where it ended).
    mutating func feed(
        _ input: UnsafeRawBufferPointer, data: (UnsafeRawBufferPointer) -> Void
    ) throws(Malformed) -> Progress {
        var index = 0
        while index < input.count {
            if case .data(let remaining) = state {
                let take = min(remaining, input.count - index)
                data(UnsafeRawBufferPointer(rebasing: input[index..<index + take]))
                index += take
                state = take == remaining ? .dataCarriageReturn : .data(remaining: remaining - take)
                continue
            }
            try step(input[index])
            index += 1
            if state == .done { return .complete(consumed: index) }
        }
        return state == .done ? .complete(consumed: 0) : .needsMore
    }

    private mutating func step(_ byte: UInt8) throws(Malformed) {
        switch state {
        case .sizeDigits:
            if let value = Self.hexValue(byte) {
                digits += 1
                guard digits <= Self.maxSizeDigits else { throw Malformed(reason: "chunk size too long") }
                size = size << 4 | value
                try countLineByte()
            } else {
                guard digits > 0 else { throw Malformed(reason: "chunk size expected") }
                try endOfSize(byte)
            }
        case .sizeWhitespace:
            try endOfSize(byte)
        case .sizeExtension:
            if byte == 13 {
                state = .sizeLineFeed
            } else {
                guard Self.isFieldByte(byte) else { throw Malformed(reason: "invalid byte in chunk extension") }
                try countLineByte()
            }
        case .sizeLineFeed:
            try expect(byte, 10, "size line")
            lineBytes = 0
            digits = 0
            state = size == 0 ? .trailerLineStart : .data(remaining: size)
            size = 0
        case .data:
            preconditionFailure("data bytes are taken in bulk by feed")
        case .dataCarriageReturn:
            try expect(byte, 13, "chunk data")
            state = .dataLineFeed
        case .dataLineFeed:
            try expect(byte, 10, "chunk data")
            state = .sizeDigits
        case .trailerLineStart:
            if byte == 13 {
                state = .finalLineFeed
            } else {
                state = .trailerLine(sawColon: false)
                try trailerByte(byte, sawColon: false)
            }
        case .trailerLine(let sawColon):
            if byte == 13 {
                guard sawColon else { throw Malformed(reason: "trailer line without a colon") }
                state = .trailerLineFeed
            } else {
                try trailerByte(byte, sawColon: sawColon)
            }
        case .trailerLineFeed:
            try expect(byte, 10, "trailer line")
            lineBytes = 0
            state = .trailerLineStart
        case .finalLineFeed:
            try expect(byte, 10, "trailer section")
            state = .done
        case .done:
            break
        }
    }

    /// After the last digit: optional whitespace (BWS), then `;` starting the extensions or the CR ending the line.
    private mutating func endOfSize(_ byte: UInt8) throws(Malformed) {
        switch byte {
        case 13: state = .sizeLineFeed
        case UInt8(ascii: ";"): state = .sizeExtension
        case UInt8(ascii: " "), 9: state = .sizeWhitespace
        default: throw Malformed(reason: "invalid byte in chunk size")
        }
        try countLineByte()
    }

    private mutating func trailerByte(_ byte: UInt8, sawColon: Bool) throws(Malformed) {
        guard Self.isFieldByte(byte) else { throw Malformed(reason: "invalid byte in trailer") }
        try countLineByte()
        trailerBytes += 1
        guard trailerBytes <= Self.maxTrailerBytes else { throw Malformed(reason: "trailer section too large") }
        state = .trailerLine(sawColon: sawColon || byte == UInt8(ascii: ":"))
    }

    private mutating func countLineByte() throws(Malformed) {
        lineBytes += 1
        guard lineBytes <= Self.maxLineBytes else { throw Malformed(reason: "chunk line too long") }
    }

    private func expect(_ byte: UInt8, _ wanted: UInt8, _ what: String) throws(Malformed) {
        guard byte == wanted else { throw Malformed(reason: "missing CRLF after \(what)") }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Visible ASCII, obs-text, space and tab: what a field line or chunk extension may hold (no other controls).
    private static func isFieldByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }
}
