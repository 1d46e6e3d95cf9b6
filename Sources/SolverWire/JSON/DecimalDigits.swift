extension Array where Element == UInt8 {
    /// Appends the decimal digits of `v`, zero-padded to `width`, in place: numbers are most of what a frame holds,
    /// and going through `description` made a `String` for each.
    mutating func appendDecimalDigits(of v: UInt64, width: Int = 1) {
        var count = 1, rest = v / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        let end = self.count + Swift.max(width, count)
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: Swift.max(width, count)))
        var value = v
        for i in stride(from: end - 1, through: end - count, by: -1) {
            self[i] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }
}
