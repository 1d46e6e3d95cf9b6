/// Serialises an HTTP/1.x response head. Framing headers (`content-length`, `transfer-encoding`, `connection`)
/// are added by the transport; any the caller passes are dropped so the framing cannot be contradicted.
enum HTTPResponseHead {
    enum Framing {
        case contentLength(Int)
        case chunked
        /// No length: the body ends when the connection closes (HTTP/1.0 streaming).
        case untilClose
    }

    static let framingHeaderNames: Set<String> = ["content-length", "transfer-encoding", "connection"]

    static func serialize(
        status: Int, headers: [(String, String)], framing: Framing, closeConnection: Bool
    ) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        for (name, value) in headers where !framingHeaderNames.contains(name.lowercased()) {
            // Header injection guard: CR/LF never reach the wire.
            text += "\(sanitize(name)): \(sanitize(value))\r\n"
        }
        switch framing {
        case .contentLength(let length): text += "content-length: \(length)\r\n"
        case .chunked: text += "transfer-encoding: chunked\r\n"
        case .untilClose: break
        }
        if closeConnection { text += "connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// `hex\r\n<bytes>\r\n` — one HTTP/1.1 chunk. Empty input gives nothing (an empty chunk would end the body).
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var framed = Array(String(bytes.count, radix: 16).utf8)
        framed.reserveCapacity(framed.count + bytes.count + 4)
        framed += [13, 10]
        framed += bytes
        framed += [13, 10]
        return framed
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Works on scalars: "\r\n" is a single `Character` in Swift, so a `Character` filter would miss it.
    private static func sanitize(_ text: String) -> String {
        var scalars = text.unicodeScalars
        scalars.removeAll { $0 == "\r" || $0 == "\n" }
        return String(scalars)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 426: "Upgrade Required"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}
