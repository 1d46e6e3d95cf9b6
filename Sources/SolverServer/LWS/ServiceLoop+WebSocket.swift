import CLibwebsockets
import SolverCore

/// WebSocket upgrades, messages and frames on the service thread.
extension ServiceLoop {
    /// Decides an upgrade while it is still HTTP, so a refusal is a real HTTP response.
    func confirmUpgrade(_ wsi: OpaquePointer, upgrade: String) -> Int32 {
        let request = LWSRequestReader.upgradeRequest(wsi)
        switch decideUpgrade(request, upgrade: upgrade) {
        case .accept:
            pendingUpgrades[wsi] = request
            return 0
        case .reject(let status, let headers, let body):
            return rejectUpgrade(wsi, status: status, headers: headers, body: body)
        }
    }

    /// The transport's own checks (refused in the API's error envelope), then the handler's decision.
    private func decideUpgrade(_ request: WebSocketUpgradeRequest, upgrade: String) -> WebSocketUpgradeDecision {
        guard upgrade.lowercased() == "websocket" else {
            return .reject(SolverError(.upgradeRefused, "unsupported upgrade \(upgrade)"))
        }
        if draining { return .reject(.shuttingDown) }
        guard configuration.webSocketPaths.contains(request.path) else {
            return .reject(SolverError(.notFound, "no WebSocket endpoint at \(request.path)"))
        }
        let offered = request.requestedSubprotocols
        if !offered.isEmpty && !offered.contains(where: configuration.webSocketSubprotocols.contains) {
            return .reject(SolverError(.upgradeRefused, "no supported subprotocol offered"))
        }
        return handler.webSocketShouldAccept(request)
    }

    /// Writes a complete refusal and tells lws the transaction is done (returning 1 from CONFIRM_UPGRADE).
    /// The one write outside a writeable callback: lws needs the answer synchronously here, exactly as its own
    /// `lws_return_http_status` does during the handshake. The response is small and the socket fresh.
    private func rejectUpgrade(_ wsi: OpaquePointer, status: Int, headers: [(String, String)], body: [UInt8]) -> Int32 {
        let response =
            HTTPResponseHead.serialize(
                status: status, headers: headers, framing: .contentLength(body.count), closeConnection: false)
            + body
        var buffer = [UInt8](repeating: 0, count: Int(CLWS_PRE) + response.count)
        buffer.replaceSubrange(Int(CLWS_PRE)..., with: response)
        let written = buffer.withUnsafeMutableBufferPointer { all in
            // Invariant: the payload starts LWS_PRE bytes into the buffer, as lws_write requires.
            lws_write(wsi, all.baseAddress! + Int(CLWS_PRE), response.count, LWS_WRITE_HTTP_HEADERS)
        }
        return written < 0 ? -1 : 1
    }

    func webSocketEstablished(_ wsi: OpaquePointer) -> Int32 {
        guard let request = pendingUpgrades.removeValue(forKey: wsi) else { return -1 }
        // lws copied the protocol table: compare by name, never by pointer.
        let name = lws_get_protocol(wsi).flatMap { $0.pointee.name.map { String(cString: $0) } }
        let connection = WebSocketConnection(
            id: makeID(), remoteAddress: request.remoteAddress, path: request.path,
            subprotocol: name == LWSContext.httpProtocolName ? nil : name,
            maxQueuedBytes: configuration.maxQueuedBytesPerConnection, waker: waker,
            upgradeHeaders: request.headers, upgradeQuery: request.query, latencyStages: configuration.latencyStages)
        // permessage-deflate is the only extension the context offers.
        let deflate = deflateAccepted.remove(wsi) != nil
        let state = WebSocketState(connection: connection, writesOwnFrames: !deflate)
        sockets[wsi] = state
        wsiByID[connection.id] = wsi
        takeOverInput(wsi, state, deflate: deflate)
        handler.webSocketDidOpen(connection)
        if draining { connection.close(.error(.draining)) }
        return 0
    }

    /// Where lws reads (TLS): reassembles fragments (lws may also split one frame over several callbacks).
    func webSocketReceived(_ wsi: OpaquePointer, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let state = sockets[wsi] else { return -1 }
        // Data proves the peer alive. lws counts only pongs, and a peer's pong waits behind whatever it is still
        // sending: a client uploading faster than we read (Autobahn 12.3.9: 64 MB compressed) was hung up after two
        // ping intervals although it was busy talking to us.
        lws_validity_confirmed(wsi)
        if !state.inMessage {
            state.inMessage = true
            state.isBinary = lws_frame_is_binary(wsi) != 0
        }
        if state.message.count + bytes.count > configuration.maxMessageBytes {
            return closeNow(wsi, state, .error(.payloadTooLarge))
        }
        state.message.append(contentsOf: bytes)
        guard lws_is_final_fragment(wsi) != 0 else { return 0 }

        let message = state.message
        state.inMessage = false
        if state.message.capacity > 1 << 20 { state.message = [] } else { state.message.removeAll(keepingCapacity: true) }
        if state.isBinary {
            handler.webSocketDidReceive(state.connection, binary: message)
        } else if let text = String(validating: message, as: UTF8.self) {
            handler.webSocketDidReceive(state.connection, text: text)
        } else {
            return closeNow(wsi, state, .invalidUTF8)
        }
        return 0
    }

    /// Writes what the connection has queued: without extensions, every queued message that fits in `writeBuffer`
    /// in one `lws_write` (one send(2) for a fan-out burst instead of one poll round and send per message).
    /// Pongs go first (lws calls back only once nothing of an earlier write is held, so they follow whole frames).
    func webSocketWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let state = sockets[wsi] else { return 0 }
        if state.terminating { return -1 }
        guard writePendingPongs(wsi, state) else { return -1 }
        return state.writesOwnFrames ? writeFrameBatch(wsi, state) : writeMessages(wsi, state)
    }

    private func writeFrameBatch(_ wsi: OpaquePointer, _ state: WebSocketState) -> Int32 {
        switch state.connection.takeFrames(into: writeBuffer) {
        case .idle, .frame:
            return 0
        case .frames(let count, let moreQueued):
            return writeRaw(wsi, count: count, moreQueued: moreQueued) ? 0 : -1
        case .close(let code, let reason):
            return closeNow(wsi, state, code, reason)
        }
    }

    /// Sends `count` framed bytes from `writeBuffer`; false when the socket failed.
    func writeRaw(_ wsi: OpaquePointer, count: Int, moreQueued: Bool = false) -> Bool {
        // Invariant: count <= writeBuffer.count. A raw write uses no headroom; lws keeps whatever the socket
        // does not take and sends it before anything else (asking for POLLOUT itself), so frames stay whole and
        // in order.
        guard lws_write(wsi, writePointer, count, CLWS_WRITE_RAW) >= 0 else { return false }
        if moreQueued { lws_callback_on_writable(wsi) }
        return true
    }

    /// Writes a woken connection's queued frames now, from the wake-up drain, instead of asking for a writeable
    /// callback (which costs another poll round before the first byte leaves). Only where the callback would do
    /// nothing else: lws frames for us (no extension), holds no unsent part of an earlier write (our frames must
    /// follow it, and lws sends it first only from POLLOUT), and neither side has started closing (a close is sent
    /// from the callback, and nothing may follow a peer's close). Only where the loop reads the input itself, too:
    /// then every pong is ours and goes first (below); where lws reads, a pong it owes is written only from POLLOUT,
    /// before the writeable callback, and a write from here would overtake it. Returns false to fall back to the
    /// callback.
    func writeWithoutWaiting(_ wsi: OpaquePointer, _ state: WebSocketState) -> Bool {
        guard state.writesOwnFrames, state.readsOwnInput, state.closeCode == nil, lws_partial_buffered(wsi) == 0
        else { return false }
        guard writePendingPongs(wsi, state) else {
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, CLWS_TO_KILL_ASYNC)
            return true
        }
        switch state.connection.takeFrames(into: writeBuffer, closing: false) {
        case .frames(let count, let moreQueued):
            // A failed socket cannot be closed by returning -1 here (no callback): lws closes it on its next pass.
            if !writeRaw(wsi, count: count, moreQueued: moreQueued) {
                lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, CLWS_TO_KILL_ASYNC)
            }
            return true
        case .idle:
            return true
        case .frame, .close:
            return false
        }
    }

    /// With permessage-deflate lws must frame and compress each message: one `lws_write` each, several per callback
    /// while the socket takes them and up to `writeBuffer.count` bytes (fairness). `lws_send_pipe_choked` also says
    /// when lws holds a partial write or a compressed message still draining; the next message must wait for that.
    private func writeMessages(_ wsi: OpaquePointer, _ state: WebSocketState) -> Int32 {
        var written = 0
        while true {
            switch state.connection.takeWrite(into: writeBuffer) {
            case .idle, .frames:
                return 0
            case .frame(let count, let isText, let isStart, let isEnd, let moreQueued):
                let flags = clws_ws_write_flags(isText ? LWS_WRITE_TEXT : LWS_WRITE_BINARY, isStart ? 1 : 0, isEnd ? 1 : 0)
                // Invariant: count <= writeBuffer.count and writeBuffer is preceded by LWS_PRE bytes of headroom.
                guard lws_write(wsi, writePointer, count, flags) >= 0 else { return -1 }
                written += count
                guard moreQueued else { return 0 }
                if written >= writeBuffer.count || lws_send_pipe_choked(wsi) != 0 {
                    lws_callback_on_writable(wsi)
                    return 0
                }
            case .close(let code, let reason):
                // Reached only when nothing is held back (checked just above), so lws sends the close frame next.
                return closeNow(wsi, state, code, reason)
            }
        }
    }

    /// Unsent bytes above which a dropped consumer counts as stalled: about what a reading peer takes in one go
    /// (a receive window). A peer that has not read that much by the time it is dropped (after 10 s blocked or an
    /// overflow) would see a close frame queued behind it late or never; lws would give up on the close after 5 s
    /// anyway and leave the kernel holding the backlog (up to megabytes per socket on loopback).
    static let stalledBacklogBytes = 64 * 1024

    /// Whether a dropped consumer's close frame would wait behind data it is not reading. `unsentBytes` < 0
    /// (unknown) counts as not stalled: the close frame is then sent as usual.
    static func peerIsStalled(unsentBytes: Int, holdsPartialFrame: Bool) -> Bool {
        holdsPartialFrame || unsentBytes > stalledBacklogBytes
    }

    /// Judges a drop as soon as it is requested (not at the next writeable callback, which a stalled peer never
    /// triggers): a stalled peer's TCP connection is reset at once (see `WebSocketConnection.close`); otherwise
    /// the caller asks for a writeable callback and the close frame goes out the usual way. True if aborted.
    func abortIfDroppedWhileStalled(_ wsi: OpaquePointer, _ state: WebSocketState) -> Bool {
        guard let code = state.connection.takePendingDrop() else { return false }
        let fd = lws_get_socket_fd(wsi)
        guard fd >= 0 else { return false }
        // A partial frame held by lws can only be followed by the rest of that frame (RFC 6455 §5.4: control
        // frames go between frames, never inside one), so it blocks the close frame exactly like unsent bytes.
        let stalled = Self.peerIsStalled(
            unsentBytes: Int(clws_unsent_bytes(fd)), holdsPartialFrame: lws_partial_buffered(wsi) != 0)
        guard stalled else { return false }
        state.closeCode = code
        state.connection.markClosed()
        // lws sees POLLHUP on its next poll and closes the wsi (CLOSED, then our `forget`). Where the RST cannot be
        // sent now, lws closes the wsi on its next pass and, with linger 0, the close itself resets.
        if clws_abort_connection(fd) != 0 { lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, CLWS_TO_KILL_ASYNC) }
        return true
    }

    func peerInitiatedClose(_ wsi: OpaquePointer, _ payload: UnsafeRawBufferPointer) {
        guard let state = sockets[wsi] else { return }
        state.closeCode =
            payload.count >= 2
            ? WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1])) : .noStatus
    }

    private func closeNow(_ wsi: OpaquePointer, _ state: WebSocketState, _ reason: WebSocketCloseReason) -> Int32 {
        closeNow(wsi, state, reason.code, WebSocketConnection.truncatedReason(reason.text))
    }

    /// Sends the close frame with `code`: where lws reads, lws finishes the handshake (returning -1 from the
    /// callback); otherwise the loop does (`sendOwnClose`).
    private func closeNow(
        _ wsi: OpaquePointer, _ state: WebSocketState, _ code: WebSocketCloseCode, _ reason: [UInt8]
    ) -> Int32 {
        if state.readsOwnInput { return sendOwnClose(wsi, state, code, reason) }
        state.closeCode = code
        var reason = reason
        reason.withUnsafeMutableBufferPointer { bytes in
            // lws copies the reason into its own close buffer before returning.
            lws_close_reason(wsi, lws_close_status(UInt32(code.rawValue)), bytes.baseAddress, bytes.count)
        }
        return -1
    }
}
