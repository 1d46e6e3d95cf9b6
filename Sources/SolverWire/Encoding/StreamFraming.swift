/// Framing of encoded JSON objects for the HTTP streaming responses (docs/design.md §2.2): NDJSON lines and Server-Sent
/// Events. Encoded JSON never contains a raw newline (strings escape it), so one object is always one line.
public enum StreamFraming {
    /// `json` + `\n`.
    public static func ndjson(_ json: [UInt8]) -> [UInt8] {
        var out = json
        out.append(0x0A)
        return out
    }

    /// `event: T\nid: N\ndata: {...}\n\n`; the id lets a reconnecting `EventSource` resume via `Last-Event-ID`.
    public static func sse(type: String, id: UInt64?, json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + type.utf8.count + 32)
        out.append(contentsOf: "event: ".utf8)
        out.append(contentsOf: singleLine(type).utf8)
        out.append(0x0A)
        if let id {
            out.append(contentsOf: "id: \(id)\n".utf8)
        }
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: json)
        out.append(contentsOf: "\n\n".utf8)
        return out
    }

    /// `: text\n\n`, a comment line that keeps proxies from closing an idle stream.
    public static func sseComment(_ text: String) -> [UInt8] {
        Array(": \(singleLine(text))\n\n".utf8)
    }

    /// A line break inside an SSE field would end it early; replace it.
    private static func singleLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return text }
        return String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
