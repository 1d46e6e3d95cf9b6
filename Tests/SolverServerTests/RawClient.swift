#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking TCP client for tests: raw HTTP/1.1 and hand-built WebSocket frames (RFC 6455), so the
/// transport is exercised byte for byte. Reads time out after 5 s so a bug fails a test instead of hanging it.
final class RawClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        /// The `errno` of a failed system call (0 otherwise).
        var code: Int32 = 0
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: UInt16? { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    /// `receiveBuffer` shrinks SO_RCVBUF before connecting (a consumer that stops reading then stalls the server soon).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads more bytes into the buffer; false on EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { return false }
        guard count > 0 else { throw Failure(description: "recv failed: errno \(errno)", code: errno) }
        buffer += chunk[..<count]
        return true
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure(description: "EOF after \(buffer.count) of \(count) bytes") }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    func readLine() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 10), index > 0, buffer[index - 1] == 13 {
                defer { buffer.removeFirst(index + 1) }
                return String(decoding: buffer[..<(index - 1)], as: UTF8.self)
            }
            guard try fill() else { throw Failure(description: "EOF while reading a line") }
        }
    }

    /// Whether anything (data or the end of the stream) arrives within `limit`, without consuming it.
    func hasInput(within limit: Duration) throws -> Bool {
        if !buffer.isEmpty { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&descriptor, 1, milliseconds)
        guard ready >= 0 else { throw Failure(description: "poll failed", code: errno) }
        return ready > 0
    }

    /// True when the server closed the connection (after anything still buffered).
    func isClosedByPeer() throws -> Bool {
        buffer.isEmpty ? try !fill() : false
    }

    /// Status line and headers (lower-cased names).
    func readHead() throws -> (status: Int, headers: [String: String]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status: \(statusLine)") }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters()
        }
        return (status, headers)
    }

    /// One chunk of a chunked body; nil at the terminating zero-length chunk.
    func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine, radix: 16) else { throw Failure(description: "bad chunk size \(sizeLine)") }
        if size == 0 {
            _ = try readLine()
            return nil
        }
        let data = try readExactly(size)
        guard try readLine().isEmpty else { throw Failure(description: "chunk not followed by CRLF") }
        return data
    }

    func readResponse() throws -> Response {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        if headers["transfer-encoding"] == "chunked" {
            while let chunk = try readChunk() { body += chunk }
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            body = try readExactly(length)
        }
        return Response(status: status, headers: headers, body: body)
    }

    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws
        -> Response
    {
        var head = "\(method) \(target) HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "content-length: \(body.count)\r\n" }
        try send(Array((head + "\r\n").utf8) + body)
        return try readResponse()
    }

    // MARK: WebSocket

    /// Sends an upgrade request; returns the response head (101 on success).
    func upgrade(path: String = "/ws/solver", headers: [(String, String)] = []) throws -> (status: Int, headers: [String: String]) {
        var head = "GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
        head += "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try send(head + "\r\n")
        return try readHead()
    }

    /// A client frame, masked as RFC 6455 requires.
    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) throws {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try send(frame)
    }

    func sendText(_ text: String) throws { try sendFrame(opcode: 1, payload: Array(text.utf8)) }

    func sendClose(code: UInt16 = 1000) throws {
        try sendFrame(opcode: 8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])
    }

    /// The next server frame (servers never mask).
    func readFrame() throws -> Frame {
        let head = try readExactly(2)
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let extended = try readExactly(2)
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            length = try readExactly(8).reduce(0) { $0 << 8 | Int($1) }
        }
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: try readExactly(length))
    }

    enum Ending: Equatable {
        case closeFrame(code: UInt16?)
        case endOfStream
        case reset
    }

    /// Reads (and drops) messages until the connection ends: the server's close frame, EOF or a TCP reset. Throws
    /// when nothing ends it within `limit` (checked between messages) or the receive timeout.
    func readUntilEnd(within limit: Duration) throws -> Ending {
        let start = ContinuousClock.now
        do {
            while ContinuousClock.now - start < limit {
                let frame = try readMessageFrame()
                if frame.opcode == 8 { return .closeFrame(code: frame.closeCode) }
            }
            throw Failure(description: "the connection did not end within \(limit)")
        } catch let failure as Failure where failure.code == ECONNRESET {
            return .reset
        } catch let failure as Failure where failure.description.hasPrefix("EOF") {
            return .endOfStream
        }
    }

    /// Skips pings (answering them) and returns the next close frame or complete message; a fragmented message
    /// (the server writes large ones in pieces) comes back as one frame with the first frame's opcode and `fin`.
    func readMessageFrame() throws -> Frame {
        var message: Frame?
        while true {
            let frame = try readFrame()
            switch frame.opcode {
            case 9: try sendFrame(opcode: 10, payload: frame.payload)
            case 10: continue
            case 8: return frame
            case 0:
                guard message != nil else { throw Failure(description: "continuation without a start") }
                message!.payload += frame.payload
                if frame.fin { message!.fin = true; return message! }
            default:
                if frame.fin { return frame }
                message = frame
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
