import CLibwebsockets
import SolverCore

/// HTTP requests and responses on the service thread.
extension ServiceLoop {
    private static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    func httpRequestArrived(_ wsi: OpaquePointer, path: String) -> Int32 {
        let request = LWSRequestReader.request(wsi, path: path)
        let exchange = HTTPExchange(
            id: makeID(), isHTTP11: request.isHTTP11, isHEAD: request.method == "HEAD",
            maxQueuedBytes: configuration.maxQueuedBytesPerConnection, waker: waker)
        let declared = request.headers["content-length"].flatMap { Int($0) }
        // lws delivers a body when a content-length is given; a POST with an explicit 0 still gets
        // HTTP_BODY_COMPLETION. Without a length lws would wait for 100 MB, so such bodies are refused (411).
        let awaitingBody = (declared ?? 0) > 0 || (request.method == "POST" && declared == 0)
        let state = HTTPState(request: request, exchange: exchange, awaitingBody: awaitingBody)
        httpStates[wsi] = state
        wsiByID[exchange.id] = wsi

        if draining {
            refuse(state, .shuttingDown)
        } else if let declared, declared > configuration.maxBodyBytes {
            refuseTooLarge(state)
        } else if declared == nil && Self.bodyMethods.contains(request.method) {
            refuse(state, SolverError(.lengthRequired, "a content-length header is required"))
        } else if !awaitingBody {
            dispatch(wsi, state)
        }
        return 0
    }

    func httpBodyArrived(_ wsi: OpaquePointer, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let state = httpStates[wsi], state.awaitingBody, !state.rejected else { return 0 }
        if state.body.count + bytes.count > configuration.maxBodyBytes {
            state.body = []
            refuseTooLarge(state)
            return 0
        }
        state.body.append(contentsOf: bytes)
        return 0
    }

    func httpBodyCompleted(_ wsi: OpaquePointer) -> Int32 {
        guard let state = httpStates[wsi], state.awaitingBody, !state.rejected else { return 0 }
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
