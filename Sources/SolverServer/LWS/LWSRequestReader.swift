import CLibwebsockets

/// Copies request data out of lws' header table into Swift values.
///
/// Invariant: only called on the service thread from a callback during which the wsi still holds its header table
/// (`LWS_CALLBACK_HTTP`, `LWS_CALLBACK_HTTP_CONFIRM_UPGRADE`); every buffer is sized from lws' own length query plus
/// the terminating NUL, and no pointer outlives the call.
enum LWSRequestReader {
    /// Headers lws parses into fixed tokens; the rest of ``HTTPHeaders/collectedNames`` are read as custom headers.
    private static let tokens: [String: lws_token_indexes] = [
        "host": WSI_TOKEN_HOST, "authorization": WSI_TOKEN_HTTP_AUTHORIZATION, "accept": WSI_TOKEN_HTTP_ACCEPT,
        "accept-encoding": WSI_TOKEN_HTTP_ACCEPT_ENCODING, "content-type": WSI_TOKEN_HTTP_CONTENT_TYPE,
        "content-length": WSI_TOKEN_HTTP_CONTENT_LENGTH, "origin": WSI_TOKEN_ORIGIN,
        "connection": WSI_TOKEN_CONNECTION, "upgrade": WSI_TOKEN_UPGRADE, "user-agent": WSI_TOKEN_HTTP_USER_AGENT,
        "sec-websocket-protocol": WSI_TOKEN_PROTOCOL, "transfer-encoding": WSI_TOKEN_HTTP_TRANSFER_ENCODING,
    ]

    private static let methods = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD"]

    static func request(_ wsi: OpaquePointer, path: String) -> HTTPRequest {
        var headers = self.headers(wsi)
        if let encoding = header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) {
            headers.add(name: "transfer-encoding", value: encoding)
        }
        if let expect = header(wsi, WSI_TOKEN_HTTP_EXPECT) { headers.add(name: "expect", value: expect) }
        return HTTPRequest(
            method: method(wsi), path: path, query: query(wsi), headers: headers,
            remoteAddress: remoteAddress(wsi), isHTTP11: header(wsi, WSI_TOKEN_HTTP) == "HTTP/1.1")
    }

    static func upgradeRequest(_ wsi: OpaquePointer) -> WebSocketUpgradeRequest {
        WebSocketUpgradeRequest(
            path: header(wsi, WSI_TOKEN_GET_URI) ?? "/", query: query(wsi), headers: headers(wsi),
            remoteAddress: remoteAddress(wsi))
    }

    static func headers(_ wsi: OpaquePointer) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for name in HTTPHeaders.collectedNames {
            let value = tokens[name].flatMap { header(wsi, $0) } ?? (tokens[name] == nil ? customHeader(wsi, name) : nil)
            if let value { headers.add(name: name, value: value) }
        }
        return headers
    }

    static func method(_ wsi: OpaquePointer) -> String {
        var uri: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let index = Int(lws_http_get_uri_and_method(wsi, &uri, &length))
        return methods.indices.contains(index) ? methods[index] : "GET"
    }

    /// One lws-parsed header token, or nil if absent.
    static func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            let copied = Int(lws_hdr_copy(wsi, buffer.baseAddress, Int32(length + 1), token))
            return copied < 0 ? nil : string(buffer, count: copied)
        }
    }

    /// A header lws has no token for (stored because the build has LWS_WITH_CUSTOM_HEADERS).
    static func customHeader(_ wsi: OpaquePointer, _ name: String) -> String? {
        let key = name + ":"
        let keyLength = Int32(key.utf8.count)
        let length = Int(lws_hdr_custom_length(wsi, key, keyLength))
        guard length > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            let copied = Int(lws_hdr_custom_copy(wsi, buffer.baseAddress, Int32(length + 1), key, keyLength))
            return copied < 0 ? nil : string(buffer, count: copied)
        }
    }

    /// URI arguments, one lws fragment per `name=value` pair (lws has already URL-decoded them).
    static func query(_ wsi: OpaquePointer) -> [(name: String, value: String)] {
        let total = Int(lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS))
        guard total > 0 else { return [] }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: total + 1) { buffer in
            var items: [(name: String, value: String)] = []
            var index: Int32 = 0
            while true {
                let copied = Int(lws_hdr_copy_fragment(wsi, buffer.baseAddress, Int32(total + 1), WSI_TOKEN_HTTP_URI_ARGS, index))
                guard copied >= 0 else { break }
                let pair = string(buffer, count: copied)
                if let equals = pair.firstIndex(of: "=") {
                    items.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
                } else if !pair.isEmpty {
                    items.append((pair, ""))
                }
                index += 1
            }
            return items
        }
    }

    static func remoteAddress(_ wsi: OpaquePointer) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            guard lws_get_peer_simple(wsi, buffer.baseAddress, 128) != nil else { return "" }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Invariant: `count <= buffer.count`; bytes are decoded as UTF-8 with replacement.
    private static func string(_ buffer: UnsafeMutableBufferPointer<CChar>, count: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)
        return String(decoding: bytes, as: UTF8.self)
    }
}
