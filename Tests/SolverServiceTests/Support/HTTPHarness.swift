import Foundation
import SolverWire

@testable import SolverServer

/// A complete HTTP response read back from an ``HTTPExchange``.
struct TestResponse: CustomStringConvertible {
    var status: Int
    /// Lower-case names; the first value of each.
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON (`.null` when it is not JSON, which the assertions on it then report).
    var json: JSONValue { (try? JSONReader.parse(body)) ?? .null }
    /// `{"error": {code, message, field?}}` of an error response.
    var error: JSONValue? { json["error"] }
    var description: String { "\(status) \(headers) \(text)" }
}

/// One request/response exchange as the transport would run it, without a socket: the service answers through an
/// ``HTTPResponder`` over a real ``HTTPExchange``, and the harness takes the bytes the exchange queued for the
/// service thread (`takeWrite`, what its writeable callback does) and parses them as a client would. The waker
/// has no lws context, so waking it only records the id: nothing else reads this exchange.
final class TestExchange {
    let exchange: HTTPExchange
    private var reader = HTTPResponseReader()
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(isHTTP11: Bool = true, isHEAD: Bool = false, maxQueuedBytes: Int = 8 << 20) {
        exchange = HTTPExchange(id: HarnessIDs.next(), isHTTP11: isHTTP11, isHEAD: isHEAD, maxQueuedBytes: maxQueuedBytes,
                                waker: TransportWaker())
    }

    var responder: HTTPResponder { HTTPResponder(exchange: exchange) }

    /// Moves everything queued so far into the reader.
    private func pump() {
        while true {
            let step = buffer.withUnsafeMutableBytes { exchange.takeWrite(into: $0) }
            guard case .write(let count, _, _) = step else { return }
            reader.feed(buffer[..<count])
        }
    }

    /// The whole response once the service finished it (a stream: its last chunk).
    func response(timeout: Duration = .seconds(10)) async throws -> TestResponse {
        try await poll("the response to be complete", timeout: timeout) {
            pump()
            return try reader.complete()
        }
    }

    /// Status and headers, as soon as they are queued (a stream's body may still be coming).
    func head(timeout: Duration = .seconds(10)) async throws -> TestResponse {
        try await poll("the response head", timeout: timeout) {
            pump()
            return try reader.head().map { TestResponse(status: $0.status, headers: $0.headers, body: []) }
        }
    }

    /// The next complete line of a streamed body (NDJSON), without its newline.
    func nextLine(timeout: Duration = .seconds(10)) async throws -> String {
        try await poll("a line of the streamed body", timeout: timeout) {
            pump()
            return reader.takeLine()
        }
    }

    /// The client goes away (what the transport reports when the socket closes).
    func disconnect() { exchange.markGone() }
}

/// Parses the serialized response head and its content-length or chunked body, fed incrementally.
struct HTTPResponseReader {
    struct Head {
        var status: Int
        var headers: [String: String]
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private var raw: [UInt8] = []
    private var parsedHead: Head?
    /// Body bytes decoded so far (chunk framing removed).
    private var body: [UInt8] = []
    private var finished = false
    private var lineStart = 0

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        raw += bytes
    }

    mutating func head() throws -> Head? {
        if let parsedHead { return parsedHead }
        guard let end = Self.find([13, 10, 13, 10], in: raw, from: 0) else { return nil }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw Malformed(description: "bad status line '\(lines[0])'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(description: "bad header '\(line)'") }
            let name = line[..<colon].lowercased()
            if headers[name] == nil { headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        raw.removeFirst(end + 4)
        parsedHead = Head(status: status, headers: headers)
        return parsedHead
    }

    /// The response once its body is complete.
    mutating func complete() throws -> TestResponse? {
        guard let head = try head() else { return nil }
        if head.headers["transfer-encoding"] == "chunked" {
            try decodeChunks()
        } else if let length = head.headers["content-length"].flatMap(Int.init) {
            guard raw.count >= length else { return nil }
            guard raw.count == length else { throw Malformed(description: "\(raw.count - length) bytes after the body") }
            body = raw
            finished = true
        } else {
            throw Malformed(description: "a response without content-length or chunked framing")
        }
        return finished ? TestResponse(status: head.status, headers: head.headers, body: body) : nil
    }

    /// Removes the complete chunks from `raw` into `body`; the zero-size chunk finishes the body.
    private mutating func decodeChunks() throws {
        while !finished, let sizeEnd = Self.find([13, 10], in: raw, from: 0) {
            guard let size = Int(String(decoding: raw[..<sizeEnd], as: UTF8.self), radix: 16) else {
                throw Malformed(description: "bad chunk size line")
            }
            let needed = sizeEnd + 2 + size + 2
            guard raw.count >= needed else { return }
            guard raw[needed - 2] == 13, raw[needed - 1] == 10 else { throw Malformed(description: "chunk without CRLF") }
            body += raw[(sizeEnd + 2)..<(sizeEnd + 2 + size)]
            raw.removeFirst(needed)
            if size == 0 { finished = true }
        }
    }

    /// The next newline-terminated line of the decoded body.
    mutating func takeLine() -> String? {
        guard (try? head()) != nil else { return nil }
        try? decodeChunks()
        guard let newline = body[lineStart...].firstIndex(of: 10) else { return nil }
        defer { lineStart = newline + 1 }
        return String(decoding: body[lineStart..<newline], as: UTF8.self)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count + start else { return nil }
        return (start...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
