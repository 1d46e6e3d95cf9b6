/// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), fed in pieces, so
/// a text message can be failed on the first invalid byte (RFC 6455 §8.1) rather than when it is complete.
struct UTF8Validator {
    /// Continuation bytes still expected by the current sequence.
    private var remaining = 0
    /// Allowed range of the next continuation byte (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Between sequences: the bytes so far form complete characters.
    var isAtBoundary: Bool { remaining == 0 }

    /// False on the first byte that cannot continue valid UTF-8.
    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            if remaining == 0 {
                // Plain ASCII eight bytes at a time.
                while index + 8 <= count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < count else { return true }
                guard start(bytes[index]) else { return false }
            } else {
                let byte = bytes[index]
                guard byte >= lower && byte <= upper else { return false }
                remaining -= 1
                lower = 0x80
                upper = 0xBF
            }
            index += 1
        }
        return true
    }

    private mutating func start(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: expect(1, 0x80, 0xBF)
        case 0xE0: expect(2, 0xA0, 0xBF)  // no overlong 3-byte forms
        case 0xED: expect(2, 0x80, 0x9F)  // no surrogates
        case 0xE1...0xEF: expect(2, 0x80, 0xBF)
        case 0xF0: expect(3, 0x90, 0xBF)  // no overlong 4-byte forms
        case 0xF1...0xF3: expect(3, 0x80, 0xBF)
        case 0xF4: expect(3, 0x80, 0x8F)  // nothing above U+10FFFF
        default: return false
        }
        return true
    }

    private mutating func expect(_ count: Int, _ lower: UInt8, _ upper: UInt8) {
        remaining = count
        self.lower = lower
        self.upper = upper
    }
}
