import CLibwebsockets
import SolverCore

/// HTTP requests and responses on the service thread.
extension ServiceLoop {
    func httpRequestArrived(_ wsi: OpaquePointer, path: String) -> Int32 {
        let request = LWSRequestReader.request(wsi, path: path)
        let exchange = HTTPExchange(
            id: makeID(), isHTTP11: request.isHTTP11, isHEAD: request.method == "HEAD",
            maxQueuedBytes: configuration.maxQueuedBytesPerConnection, waker: waker)
        let framing = RequestBodyFraming(method: request.method, headers: request.headers, isHTTP11: request.isHTTP11)
        let state = HTTPState(
            request: request, exchange: exchange, awaitingBody: framing.readsBody, chunked: framing == .chunked)
        httpStates[wsi] = state
        wsiByID[exchange.id] = wsi

        if draining {
            refuse(state, .shuttingDown)
        } else if case .refused(let code, let message) = framing {
            refuse(state, SolverError(code, message))
        } else if case .length(let declared) = framing, declared > configuration.maxBodyBytes {
            refuseTooLarge(state)
        } else if !state.awaitingBody {
            dispatch(wsi, state)
        } else if request.isHTTP11, request.headers["expect"]?.lowercased() == "100-continue" {
            // curl waits a second for this before sending a large or chunked body.
            exchange.sendInterimContinue()
        }
        return 0
    }

    func httpBodyArrived(_ wsi: OpaquePointer, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let state = httpStates[wsi], state.awaitingBody, !state.rejected else { return 0 }
        if state.chunked != nil { return chunkedBodyArrived(wsi, state, bytes) }
        if state.body.count + bytes.count > configuration.maxBodyBytes {
            state.body = []
            refuseTooLarge(state)
            return 0
        }
        state.body.append(contentsOf: bytes)
        return 0
    }

    /// Decodes chunk framing as it streams in; the limit applies to the decoded bytes as they arrive. At the terminal
    /// chunk lws is told the body ended (it would otherwise take the next request for more body, see
    /// `clws_end_unbounded_body`) and calls BODY_COMPLETION; where it cannot be told, the answer closes the connection.
    private func chunkedBodyArrived(_ wsi: OpaquePointer, _ state: HTTPState, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        state.rawBodyBytes += bytes.count
        let limit = configuration.maxBodyBytes
        var overflow = false
        let progress: ChunkedBodyDecoder.Progress
        do {
            progress = try state.chunked!.feed(bytes) { piece in
                guard !overflow, state.body.count + piece.count <= limit else {
                    overflow = true
                    return
                }
                state.body.append(contentsOf: piece)
            }
        } catch {
            refuse(state, SolverError(.malformedRequest, "malformed chunked body: \(error.reason)"))
            return 0
        }
        if overflow {
            state.body = []
            refuseTooLarge(state)
            return 0
        }
        guard case .complete(let consumed) = progress else { return 0 }
        // Bytes after the body (a pipelined request) were handed to us as body; lws cannot take them back.
        if consumed < bytes.count { state.exchange.requireCloseAfter() }
        if clws_end_unbounded_body(wsi, UInt64(state.rawBodyBytes)) == 0 {
            state.exchange.requireCloseAfter()
            dispatch(wsi, state)
        }
        return 0
    }

    func httpBodyCompleted(_ wsi: OpaquePointer) -> Int32 {
        guard let state = httpStates[wsi], state.awaitingBody, !state.rejected else { return 0 }
        if let decoder = state.chunked, !decoder.isComplete {
            // lws stops after the 100 MiB it reads for a body without a length.
            refuse(state, SolverError(.payloadTooLarge, "a chunked request body cannot exceed 100 MiB"))
            return 0
        }
        dispatch(wsi, state)
        return 0
    }

    /// Hands a complete request to the upper layer.
    private func dispatch(_ wsi: OpaquePointer, _ state: HTTPState) {
        state.awaitingBody = false
        var request = state.request
        request.body = state.body
        state.body = []
        // The response may take a while (streams): no lws timeout applies while the handler owns the exchange.
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0)
        handler.handleHTTP(request, responder: HTTPResponder(exchange: state.exchange))
    }

    private func refuseTooLarge(_ state: HTTPState) {
        refuse(state, SolverError(.payloadTooLarge, "request body exceeds \(configuration.maxBodyBytes) bytes"))
    }

    /// Answers with a transport error and closes the connection afterwards (any unread body is abandoned).
    private func refuse(_ state: HTTPState, _ error: SolverError) {
        state.rejected = true
        state.awaitingBody = false
        _ = state.exchange.respond(error: error, closeAfter: true)
    }

    /// One piece of the current response per callback.
    func httpWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let state = httpStates[wsi] else { return 0 }
        switch state.exchange.takeWrite(into: writeBuffer) {
        case .idle:
            return 0
        case .close:
            return -1
        case .write(let count, let moreQueued, let isLast):
            // Invariant: count <= writeBuffer.count and writeBuffer is preceded by LWS_PRE bytes of headroom.
            guard lws_write(wsi, writePointer, count, LWS_WRITE_HTTP) >= 0 else { return -1 }
            if moreQueued { lws_callback_on_writable(wsi) }
            guard isLast, !state.exchange.closesAfterResponse else { return 0 }
            // Keep-alive: the transaction is over; the wsi waits for its next request.
            httpStates[wsi] = nil
            wsiByID[state.exchange.id] = nil
            state.exchange.markGone()
            checkDrained()
            return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
        }
    }
}
