/// Formats seconds since 1970 as `2025-09-19T19:26:51.605Z` (UTC, milliseconds), the protocol's timestamp form.
/// Done by hand (days-to-civil conversion) because it runs for every frame and `DateFormatter` is slow and
/// locale-sensitive.
enum ISO8601Timestamp {
    static func format(_ seconds: Double) -> String {
        let totalMs = seconds.isFinite ? Int64((seconds * 1000).rounded(.down)) : 0
        let ms = Int(totalMs.modulo(1000))
        let totalSeconds = (totalMs - Int64(ms)) / 1000
        let secondOfDay = Int(totalSeconds.modulo(86_400))
        let days = (totalSeconds - Int64(secondOfDay)) / 86_400
        let (year, month, day) = civil(fromDays: days)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        // Digits appended in place: this runs for every event, and interpolating padded Strings cost microseconds.
        func pad(_ v: Int, _ width: Int, then separator: UInt8) {
            if v < 0 {  // a year before 1 AD, written as before: the sign inside the zero padding
                let digits = Array(String(v).utf8)
                text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - digits.count)))
                text.append(contentsOf: digits)
            } else {
                text.appendDecimalDigits(of: UInt64(v), width: width)
            }
            text.append(separator)
        }
        pad(Int(year), 4, then: UInt8(ascii: "-"))
        pad(month, 2, then: UInt8(ascii: "-"))
        pad(day, 2, then: UInt8(ascii: "T"))
        pad(secondOfDay / 3600, 2, then: UInt8(ascii: ":"))
        pad(secondOfDay / 60 % 60, 2, then: UInt8(ascii: ":"))
        pad(secondOfDay % 60, 2, then: UInt8(ascii: "."))
        pad(ms, 3, then: UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Remainder with the sign of the divisor, so times before 1970 format correctly.
    fileprivate func modulo(_ m: Int64) -> Int64 {
        let r = self % m
        return r < 0 ? r + m : r
    }
}
