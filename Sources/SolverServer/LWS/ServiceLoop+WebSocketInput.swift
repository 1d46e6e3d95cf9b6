import CLibwebsockets
import SolverCore

#if canImport(Glibc)
import Glibc
#endif

/// WebSocket input read by the loop itself instead of by lws, on every plain-TCP connection.
///
/// Why: libwebsockets 4.1.6 answers pings itself and keeps one pending pong per connection; a ping arriving while
/// one is pending is dropped ("DROP PING since one pending", roles/ws/ops-ws.c), pings never reach the application,
/// and the pending pong leaves only from POLLOUT, so data written between the ping and that POLLOUT overtook it.
///
/// How: at ESTABLISHED the loop stops lws reading the connection (`lws_rx_flow_control(wsi, 0)` takes POLLIN out
/// of its poll events) and adopts a duplicate of the socket descriptor as an lws raw-file child of the connection:
/// lws polls the duplicate and calls LWS_CALLBACK_RAW_RX_FILE, where the loop reads and parses
/// (``WebSocketFrameReader``). Output stays with lws (`lws_write` on the connection). A ping's pong is written
/// before the loop returns to lws, behind nothing but whole frames already handed over, and every later data write
/// sends owed pongs first (`writePendingPongs`), so no data frame written after a ping precedes its pong.
///
/// Why this is sound:
/// - lws never reads the connection again: rx flow control stays off, and lws only turns it back on in its own
///   close states (LRS_RETURNED_CLOSE, LRS_WAITING_TO_SEND_CLOSE), which are never entered: the loop writes close
///   frames itself and ends a connection by returning -1 from its writeable callback with no close reason set, so
///   lws closes it as NOSTATUS without a close frame (`rops_close_via_role_protocol_ws`).
/// - lws has read no frame before the hand-over: a client must wait for the 101 before sending any
///   (RFC 6455 §4.1). (A client that pipelines frames behind its upgrade request is not served.)
/// - The duplicate lives exactly as long as the connection: lws closes a wsi's children before the wsi, and
///   closing the raw-file wsi closes its descriptor; so the socket is released when the connection closes.
/// - The reader wsi is never validity-checked (only `lws_validity_confirmed` arms that) and has no timeout.
/// TLS connections keep lws' reader (the duplicate would see ciphertext): there lws answers pings, and data is
/// written only from the writeable callback, which lws calls after sending a pending pong.
extension ServiceLoop {
    /// Most pongs gathered before they are written (one write for a burst of pings). When lws still holds part of
    /// an earlier write (the peer is not reading), the oldest are dropped beyond this (RFC 6455 §5.5.3 allows
    /// answering only the most recent ping), so such a peer cannot grow the list. 8 frames of at most 127 bytes fit
    /// in the smallest `writeBuffer` (1 KiB).
    static let maxPendingPongs = 8

    func takeOverInput(_ wsi: OpaquePointer, _ state: WebSocketState, deflate: Bool) {
        guard lws_is_ssl(wsi) == 0 else { return }
        let socket = lws_get_socket_fd(wsi)
        guard socket >= 0 else { return }
        let duplicate = fcntl(socket, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { return }
        var descriptor = lws_sock_file_fd_type()
        descriptor.filefd = duplicate
        // lws sends the new wsi LWS_CALLBACK_RAW_ADOPT_FILE (ignored) before this returns.
        guard
            let reader = lws_adopt_descriptor_vhost(
                lws_get_vhost(wsi), LWS_ADOPT_RAW_FILE_DESC, descriptor, LWSContext.httpProtocolName, wsi)
        else {
            close(duplicate)  // lws leaves a raw file descriptor it failed to adopt open
            return
        }
        lws_rx_flow_control(wsi, 0)
        inputReaders[reader] = wsi
        state.readsOwnInput = true
        state.reader = WebSocketFrameReader(maxMessageBytes: configuration.maxMessageBytes, deflate: deflate)
        state.readerWsi = reader
        state.readerDescriptor = duplicate
    }

    /// LWS_CALLBACK_RAW_RX_FILE: one read (lws polls level-triggered and calls again while more is waiting).
    /// Returning -1 closes the reader wsi (and its descriptor), never the connection.
    func inputReadable(_ readerWsi: OpaquePointer) -> Int32 {
        guard let wsi = inputReaders[readerWsi], let state = sockets[wsi] else { return -1 }
        // Invariant: reads at most readBuffer.count bytes into readBuffer; the descriptor is ours until the reader
        // wsi closes, which happens only after this callback returns.
        let count = read(state.readerDescriptor, readBuffer.baseAddress, readBuffer.count)
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return 0 }
        guard count > 0 else {
            detachReader(readerWsi, state)
            inputEnded(wsi, state)
            return -1
        }
        // Data proves the peer alive. lws counts only pongs, and a peer's pong waits behind whatever it is still
        // sending: a client uploading faster than we read (Autobahn 12.3.9: 64 MB compressed) was hung up after two
        // ping intervals although it was busy talking to us.
        lws_validity_confirmed(wsi)
        guard !state.inputFailed, var reader = state.reader else { return 0 }
        state.reader = nil
        do {
            try reader.feed(UnsafeMutableRawBufferPointer(rebasing: readBuffer[..<count]), inflateBuffer: inflateBuffer) {
                received($0, wsi, state)
            }
        } catch {
            failInput(wsi, state, error)
        }
        state.reader = reader
        if !state.pendingPongs.isEmpty { flushPongs(wsi, state) }
        return 0
    }

    /// LWS_CALLBACK_RAW_CLOSE_FILE. Nothing is done to the connection here: the reader closes after our -1 (handled
    /// there), because its connection is closing (lws closes children first; calling into that wsi now would be
    /// unsafe), or on POLLHUP, which the connection's own descriptor reports in the same poll and lws closes it.
    func inputClosed(_ readerWsi: OpaquePointer) {
        guard let wsi = inputReaders[readerWsi], let state = sockets[wsi] else {
            inputReaders[readerWsi] = nil
            return
        }
        detachReader(readerWsi, state)
    }

    private func detachReader(_ readerWsi: OpaquePointer, _ state: WebSocketState) {
        inputReaders[readerWsi] = nil
        state.readerWsi = nil
        state.readerDescriptor = -1
        state.reader = nil
        state.inputFailed = true
    }

    private func received(_ event: WebSocketFrameReader.Event, _ wsi: OpaquePointer, _ state: WebSocketState) {
        switch event {
        case .text(let bytes):
            // After our close frame nothing more is delivered (RFC 6455 §5.5.1); the reader validated the UTF-8.
            if !state.closeSent { handler.webSocketDidReceive(state.connection, text: String(decoding: bytes, as: UTF8.self)) }
        case .binary(let bytes):
            if !state.closeSent { handler.webSocketDidReceive(state.connection, binary: bytes) }
        case .ping(let payload):
            guard !state.closeSent else { return }
            if state.pendingPongs.count == Self.maxPendingPongs { flushPongs(wsi, state) }
            if state.pendingPongs.count == Self.maxPendingPongs { state.pendingPongs.removeFirst() }
            state.pendingPongs.append(payload)
        case .pong:
            break
        case .close(let code, _):
            state.closeReceived = true
            if state.closeSent {
                terminate(wsi, state)  // the peer acknowledged our close
            } else {
                // Echo the code (RFC 6455 §5.5.1) after what is already queued, then end the connection.
                state.closeCode = code ?? .noStatus
                state.connection.close(code: code ?? .noStatus)
                lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 5)
            }
        }
    }

    /// The peer broke the protocol (or sent invalid UTF-8, or too large a message): send the close frame with the
    /// failure's code after what is queued, read nothing more, and end the connection once it is out (§7.1.7).
    private func failInput(_ wsi: OpaquePointer, _ state: WebSocketState, _ failure: WebSocketFrameReader.Failure) {
        state.inputFailed = true
        state.pendingPongs.removeAll()
        state.connection.close(code: failure.code, reason: failure.reason)
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 5)
    }

    /// The peer's side ended (EOF or a read error). A close frame of ours still to go (the reply to the peer's
    /// close, or a failure's) ends the connection once written; otherwise it ends now.
    private func inputEnded(_ wsi: OpaquePointer, _ state: WebSocketState) {
        let closeFrameOwed = !state.closeSent && (state.closeReceived || state.connection.closeRequested)
        if !closeFrameOwed { terminate(wsi, state) }
    }

    /// Ends the connection from its next writeable callback, once lws has sent everything it holds; if that never
    /// comes (a peer that stopped reading), the timeout closes it.
    func terminate(_ wsi: OpaquePointer, _ state: WebSocketState) {
        guard !state.terminating else { return }
        state.terminating = true
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 5)
        lws_callback_on_writable(wsi)
    }

    /// Pongs owed after a read: written at once when lws holds nothing of an earlier write, else first thing in the
    /// next writeable callback.
    private func flushPongs(_ wsi: OpaquePointer, _ state: WebSocketState) {
        guard lws_partial_buffered(wsi) == 0 else {
            lws_callback_on_writable(wsi)
            return
        }
        if !writePendingPongs(wsi, state) { lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, CLWS_TO_KILL_ASYNC) }
    }

    /// Writes every owed pong in one raw write (each is a whole frame of at most 127 bytes). The caller guarantees
    /// lws holds no part of an earlier write. False when the socket failed.
    func writePendingPongs(_ wsi: OpaquePointer, _ state: WebSocketState) -> Bool {
        guard !state.pendingPongs.isEmpty else { return true }
        var used = 0
        for payload in state.pendingPongs {
            // Invariant: maxPendingPongs frames fit in writeBuffer, so each lies inside it.
            used += WebSocketFrameHeader.writeControl(
                into: UnsafeMutableRawBufferPointer(rebasing: writeBuffer[used...]), opcode: 0xA, payload: payload)
        }
        state.pendingPongs.removeAll(keepingCapacity: true)
        return writeRaw(wsi, count: used)
    }

    /// Writes our close frame (from the writeable callback, after everything queued before it). With the peer's
    /// close already here, or input that failed or ended, the connection ends now (-1: lws sends what it holds, then
    /// closes without a close frame of its own); otherwise the peer's close is awaited for 5 s.
    func sendOwnClose(_ wsi: OpaquePointer, _ state: WebSocketState, _ code: WebSocketCloseCode, _ reason: [UInt8])
        -> Int32
    {
        if !state.closeReceived { state.closeCode = code }
        state.pendingPongs.removeAll()
        let count = WebSocketFrameHeader.writeControl(
            into: writeBuffer, opcode: 0x8, payload: WebSocketFrameHeader.closePayload(code: code, reason: reason))
        guard writeRaw(wsi, count: count) else { return -1 }
        state.closeSent = true
        if state.closeReceived || state.inputFailed { return -1 }
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 5)
        return 0
    }
}
