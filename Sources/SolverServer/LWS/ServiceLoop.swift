import CLibwebsockets
import SolverCore

/// Everything the service thread knows: which wsi is which connection, half-read requests, half-assembled
/// messages. Confined to the service thread (reached only through ``ServiceThreadBound``); never locked.
///
/// Invariants: `wsiByID` maps exactly the ids of live HTTP exchanges and open WebSockets to their wsi, and every
/// entry is removed when lws reports the wsi closed or destroyed, so a stale id can never reach a freed wsi.
/// `inputReaders` maps exactly the live raw-file wsi that read a WebSocket's input to that WebSocket's wsi.
/// Writes always start at `writeBuffer` (which has `LWS_PRE` bytes of headroom); nothing is written while lws still
/// holds part of an earlier write (lws flushes that before a writeable callback; elsewhere it is checked first).
final class ServiceLoop {
    final class HTTPState {
        let request: HTTPRequest
        let exchange: HTTPExchange
        var body: [UInt8] = []
        var awaitingBody: Bool
        var rejected = false
        /// A chunked body: its decoder, and the raw (still framed) bytes lws has delivered so far.
        var chunked: ChunkedBodyDecoder?
        var rawBodyBytes = 0
        init(request: HTTPRequest, exchange: HTTPExchange, awaitingBody: Bool, chunked: Bool) {
            self.request = request
            self.exchange = exchange
            self.awaitingBody = awaitingBody
            self.chunked = chunked ? ChunkedBodyDecoder() : nil
        }
    }

    final class WebSocketState {
        let connection: WebSocketConnection
        /// No extension is active, so the loop frames messages itself and writes several per `lws_write`; otherwise
        /// lws frames (and compresses) each one.
        let writesOwnFrames: Bool
        /// lws reads (TLS): messages arrive as LWS_CALLBACK_RECEIVE pieces, assembled here.
        var message: [UInt8] = []
        var inMessage = false
        var isBinary = false
        var closeCode: WebSocketCloseCode?
        /// The loop reads the socket itself (ServiceLoop+WebSocketInput): the parser (nil while it runs), and the
        /// raw-file wsi and duplicate descriptor it reads through (nil once that wsi closed).
        var readsOwnInput = false
        var reader: WebSocketFrameReader?
        var readerWsi: OpaquePointer?
        var readerDescriptor: Int32 = -1
        /// Pongs owed to the peer; written before any data frame that follows the ping.
        var pendingPongs: [[UInt8]] = []
        /// Close handshake: our close frame is out / the peer's arrived / its input broke the protocol (our close
        /// frame, when out, ends the connection) / the connection is to be ended at the next writeable callback.
        var closeSent = false
        var closeReceived = false
        var inputFailed = false
        var terminating = false
        init(connection: WebSocketConnection, writesOwnFrames: Bool) {
            self.connection = connection
            self.writesOwnFrames = writesOwnFrames
        }
    }

    /// Which of the server's service threads runs this loop, and the wakers of all of them (`peers[index]` is this
    /// loop's). Connection ids are unique across the threads (the handler keys its tables by id): loop `index` of
    /// `count` hands out index + 1, index + 1 + count, … Loop 0 accepts and deals connections out, and leads a
    /// drain: it tells the handler once, then has the others close their connections.
    struct Placement: Sendable {
        var index = 0
        var peers: [TransportWaker] = []
        var count: Int { max(1, peers.count) }
    }

    let configuration: TransportConfiguration
    let handler: any TransportHandler
    let waker: TransportWaker
    let placement: Placement
    private(set) var stopRequested = false
    private(set) var draining = false
    private var nextID: UInt64

    var wsiByID: [UInt64: OpaquePointer] = [:]
    var httpStates: [OpaquePointer: HTTPState] = [:]
    var pendingUpgrades: [OpaquePointer: WebSocketUpgradeRequest] = [:]
    var sockets: [OpaquePointer: WebSocketState] = [:]
    /// Raw-file wsi reading a WebSocket's input (ServiceLoop+WebSocketInput) → that WebSocket's wsi.
    var inputReaders: [OpaquePointer: OpaquePointer] = [:]
    /// Upgrades for which lws accepted permessage-deflate (LWS_CALLBACK_CONFIRM_EXTENSION_OKAY), until ESTABLISHED.
    var deflateAccepted: Set<OpaquePointer> = []
    /// The context's vhost, which serves every connection of this loop (set once the context exists).
    var vhost: OpaquePointer?
    /// With several service threads, loop 0's listener (ServiceLoop+Accept; lws closes it with the context) and the
    /// loop that gets the next connection.
    var listenerWsi: OpaquePointer?
    var listenerDescriptor: Int32 = -1
    var nextAcceptingLoop = 0

    /// `LWS_PRE` headroom followed by `writeChunkBytes` of payload; owned by this loop, freed in `deinit`.
    private let scratch: UnsafeMutableRawBufferPointer
    /// The payload part of `scratch`: pieces are copied here and handed to `lws_write`.
    let writeBuffer: UnsafeMutableRawBufferPointer
    /// Where WebSocket input read by the loop itself lands (and is unmasked), and zlib's output area when it is
    /// compressed: shared by every connection, since one thread reads them all. Owned by this loop, freed in `deinit`.
    let readBuffer: UnsafeMutableRawBufferPointer
    let inflateBuffer: UnsafeMutableRawBufferPointer

    init(
        configuration: TransportConfiguration, handler: any TransportHandler, waker: TransportWaker,
        placement: Placement = Placement()
    ) {
        self.configuration = configuration
        self.handler = handler
        self.waker = waker
        self.placement = placement
        nextID = UInt64(placement.index + 1)
        let chunk = max(1024, configuration.writeChunkBytes)
        scratch = .allocate(byteCount: Int(CLWS_PRE) + chunk, alignment: 16)
        writeBuffer = UnsafeMutableRawBufferPointer(rebasing: scratch[Int(CLWS_PRE)...])
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        inflateBuffer = .allocate(byteCount: 32 * 1024, alignment: 16)
    }

    deinit {
        scratch.deallocate()
        readBuffer.deallocate()
        inflateBuffer.deallocate()
    }

    func makeID() -> UInt64 {
        defer { nextID += UInt64(placement.count) }
        return nextID
    }

    /// Start of the payload in `writeBuffer`, typed for `lws_write`.
    var writePointer: UnsafeMutablePointer<UInt8> { writeBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self) }

    func handle(
        _ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        switch reason {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainWakeups()
            return 0
        case LWS_CALLBACK_HTTP:
            let path = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "/"
            return httpRequestArrived(wsi, path: path)
        case LWS_CALLBACK_HTTP_BODY:
            return httpBodyArrived(wsi, UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length))
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return httpBodyCompleted(wsi)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return httpWriteable(wsi)
        case LWS_CALLBACK_CLOSED_HTTP:
            forget(wsi)
            return 0
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            let upgrade = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
            return confirmUpgrade(wsi, upgrade: upgrade)
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            return pendingUpgrades[wsi] == nil ? 1 : 0
        case LWS_CALLBACK_ESTABLISHED:
            return webSocketEstablished(wsi)
        case LWS_CALLBACK_RECEIVE:
            return webSocketReceived(wsi, UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length))
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return webSocketWriteable(wsi)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            peerInitiatedClose(wsi, UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length))
            return 0
        case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
            deflateAccepted.insert(wsi)
            return 0
        case LWS_CALLBACK_RAW_RX_FILE:
            return wsi == listenerWsi ? acceptConnections() : inputReadable(wsi)
        case LWS_CALLBACK_RAW_CLOSE_FILE:
            if wsi == listenerWsi { listenerWsi = nil } else { inputClosed(wsi) }
            return 0
        case LWS_CALLBACK_CLOSED, LWS_CALLBACK_WSI_DESTROY:
            forget(wsi)
            return 0
        default:
            return 0
        }
    }

    /// Writes what every woken connection queued, in this one pass where it can (see `writeWithoutWaiting`), asks
    /// lws for a writeable callback for the rest, and runs lifecycle commands. A fan-out to 100 subscribers thus
    /// costs one wake-up and 100 sends, not a poll round and 100 callbacks after it. Connections announced while
    /// the pass writes (a publication finishing on another core) are taken by a further pass, not after another
    /// poll round; at most `drainPasses` passes, so input is still read between bursts.
    func drainWakeups() {
        // This thread's own announcements skip the cancel (it drains after every turn): any made during the last
        // pass need one now.
        defer { waker.cancelIfPending() }
        for pass in 1...Self.drainPasses {
            let (ready, commands, afterDrain) = waker.drain(continuing: pass < Self.drainPasses)
            if ready.isEmpty && commands.isEmpty && afterDrain.isEmpty { return }
            for id in ready {
                guard let wsi = wsiByID[id] else { continue }
                if let state = sockets[wsi] {
                    if abortIfDroppedWhileStalled(wsi, state) { continue }
                    if writeWithoutWaiting(wsi, state) { continue }
                }
                lws_callback_on_writable(wsi)
            }
            for done in afterDrain { done() }
            for command in commands {
                switch command {
                case .beginDraining: beginDraining(leading: true)
                case .drainConnections: beginDraining(leading: false)
                case .adopt(let socket): adoptConnection(socket)
                case .stop: stopRequested = true
                }
            }
        }
    }

    static let drainPasses = 3

    /// Drops every table entry for a closing wsi and tells the upper layer. Idempotent (CLOSED, then WSI_DESTROY).
    private func forget(_ wsi: OpaquePointer) {
        pendingUpgrades[wsi] = nil
        deflateAccepted.remove(wsi)
        if let state = httpStates.removeValue(forKey: wsi) {
            wsiByID[state.exchange.id] = nil
            state.exchange.markGone()
        }
        if let state = sockets.removeValue(forKey: wsi) {
            wsiByID[state.connection.id] = nil
            state.connection.markClosed()
            handler.webSocketDidClose(state.connection, code: state.closeCode ?? .abnormal)
        }
        checkDrained()
    }

    /// Graceful shutdown, step one: refuse new work, let the upper layer queue final frames, then close
    /// WebSockets with 1001 (after their queues) and finish open streams. In-flight requests may still answer.
    /// The leading loop tells the handler (once for the server) before any loop closes a connection, so final
    /// frames queued for every thread's connections go out ahead of the closes.
    private func beginDraining(leading: Bool) {
        guard !draining else { return }
        draining = true
        if leading { handler.transportWillShutDown() }
        defer { if leading { for peer in placement.peers.dropFirst() { peer.post(.drainConnections) } } }
        for state in sockets.values {
            state.connection.close(.error(.draining))
        }
        for state in httpStates.values {
            state.exchange.requireCloseAfter()
            if state.awaitingBody {
                _ = state.exchange.respond(error: .shuttingDown)
            } else if state.exchange.phase == .streaming {
                state.exchange.finish()
            }
        }
        checkDrained()
    }

    func checkDrained() {
        if draining && httpStates.isEmpty && sockets.isEmpty && pendingUpgrades.isEmpty { stopRequested = true }
    }
}
