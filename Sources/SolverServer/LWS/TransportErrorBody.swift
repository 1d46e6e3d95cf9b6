/// The JSON error body the transport itself answers with (413, 503, upgrade refusals), in the solverd wire shape
/// `{"error":{"code":…,"message":…}}`. Upper layers produce their own errors; this is only for transport refusals.
enum TransportErrorBody {
    static let headers: [(String, String)] = [("content-type", "application/json")]

    static func json(code: String, message: String) -> [UInt8] {
        Array("{\"error\":{\"code\":\(quoted(code)),\"message\":\(quoted(message))}}".utf8)
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += unicodeEscape(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
