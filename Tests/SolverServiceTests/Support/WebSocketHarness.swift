import SolverWire

@testable import SolverServer

/// One WebSocket to a ``TestApp``'s service, without a socket: messages go in through the handler callbacks the
/// transport calls; frames come out of the connection's outbound queue (`takeWrite`, as the service thread takes
/// them) and are decoded as JSON. A close the service requested is completed the way the transport completes it
/// (`markClosed`, then `webSocketDidClose`). Every frame read is kept in ``received``, in order.
final class TestWebSocket {
    let connection: WebSocketConnection
    let service: SolverService
    /// Every frame read so far, in arrival order.
    private(set) var received: [JSONValue] = []
    /// The close the service sent (nil while open).
    private(set) var closeCode: WebSocketCloseCode?
    private var consumed = 0
    private var message: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var peerClosed = false

    init(service: SolverService, request: WebSocketUpgradeRequest, maxQueuedBytes: Int = 8 << 20) {
        self.service = service
        connection = WebSocketConnection(
            id: HarnessIDs.next(), remoteAddress: request.remoteAddress, path: request.path, subprotocol: nil,
            maxQueuedBytes: maxQueuedBytes, waker: TransportWaker(), upgradeHeaders: request.headers,
            upgradeQuery: request.query)
        service.webSocketDidOpen(connection)
    }

    deinit { disconnect() }

    // MARK: Client → service

    func send(_ text: String) { service.webSocketDidReceive(connection, text: text) }

    func send(json object: [String: Any]) { send(jsonText(object)) }

    func send(binary: [UInt8]) { service.webSocketDidReceive(connection, binary: binary) }

    /// The client leaves (or the socket drops) with `code`, as the transport reports it.
    func disconnect(code: WebSocketCloseCode = .normal) {
        guard closeCode == nil, !peerClosed else { return }
        peerClosed = true
        connection.markClosed()
        service.webSocketDidClose(connection, code: code)
    }

    // MARK: Service → client

    /// The next frame not yet returned.
    func next(timeout: Duration = .seconds(10)) async throws -> JSONValue {
        try await poll("a frame on \(connection)", timeout: timeout) {
            pump()
            guard consumed < received.count else {
                if let closeCode { throw HarnessFailure(description: "closed with \(closeCode.rawValue), no frame left") }
                return nil
            }
            defer { consumed += 1 }
            return received[consumed]
        }
    }

    /// The next frame of `type` matching `predicate`, skipping (but keeping in ``received``) the others.
    func next(type: String, timeout: Duration = .seconds(10),
              where predicate: (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let frame = try await next(timeout: deadline - clock.now)
            if frame.type == type && predicate(frame) { return frame }
        }
    }

    /// Position of the frame `next` returned last, in ``received``.
    var lastIndex: Int { consumed - 1 }

    /// Waits for the service to close the connection; the frames queued before the close stay readable.
    func closed(timeout: Duration = .seconds(10)) async throws -> WebSocketCloseCode {
        try await poll("\(connection) to be closed", timeout: timeout) {
            pump()
            return closeCode
        }
    }

    /// Takes what the service queued: whole messages into `received`, then the close.
    private func pump() {
        while closeCode == nil, !peerClosed {
            switch buffer.withUnsafeMutableBytes({ connection.takeWrite(into: $0) }) {
            case .frame(let count, _, let isStart, let isEnd, _):
                if isStart { message.removeAll() }
                message += buffer[..<count]
                if isEnd { received.append((try? JSONReader.parse(message)) ?? .string(String(decoding: message, as: UTF8.self))) }
            case .close(let code, _):
                closeCode = code
                connection.markClosed()
                service.webSocketDidClose(connection, code: code)
            case .frames, .idle:
                return
            }
        }
    }
}
