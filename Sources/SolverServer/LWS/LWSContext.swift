import CLibwebsockets
#if canImport(Glibc)
import Glibc
#endif

/// Owns one lws context and every piece of C memory lws keeps pointers into: the protocol table and its names, the
/// extension table, the retry (ping / hang-up) policy, the host and ALPN strings.
///
/// Invariants: created, serviced and destroyed on the service thread; the C memory is freed only after
/// `lws_context_destroy` returned, because lws reads names and policies for the context's whole life.
final class LWSContext {
    /// Name of protocols[0], which serves plain HTTP and WebSocket clients that name no subprotocol.
    static let httpProtocolName = "solverd-http"

    let pointer: OpaquePointer
    /// The default vhost: it serves every connection (and carries lws' listener when there is one).
    let vhost: OpaquePointer?
    let port: Int
    private var strings: [UnsafeMutablePointer<CChar>]
    private let protocols: UnsafeMutableBufferPointer<lws_protocols>
    private let extensions: UnsafeMutableBufferPointer<lws_extension>
    private let retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>

    /// Creates the context and binds; with `listenerPort`, binds nothing: the server listens on that port itself
    /// (`ServerListener`) and hands the context its connections. `user` is handed back by `lws_context_user` in
    /// every callback.
    init(configuration: TransportConfiguration, listenerPort: Int? = nil, user: UnsafeMutableRawPointer) throws(TransportError) {
        var strings: [UnsafeMutablePointer<CChar>] = []
        func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
            let copy = strdup(text)!
            strings.append(copy)
            return copy
        }

        let receiveBuffer = 64 * 1024
        let names = [Self.httpProtocolName] + configuration.webSocketSubprotocols
        let protocols = UnsafeMutableBufferPointer<lws_protocols>.allocate(capacity: names.count + 1)
        protocols.initialize(repeating: lws_protocols())  // the zeroed last entry terminates the table
        for (index, name) in names.enumerated() {
            protocols[index].name = UnsafePointer(cString(name))
            protocols[index].callback = lwsServiceCallback
            protocols[index].per_session_data_size = 0  // state lives in Swift tables keyed by wsi
            protocols[index].rx_buffer_size = receiveBuffer
            protocols[index].id = UInt32(index)
        }

        let extensions = UnsafeMutableBufferPointer<lws_extension>.allocate(capacity: 2)
        extensions.initialize(repeating: lws_extension())
        extensions[0].name = UnsafePointer(cString("permessage-deflate"))
        extensions[0].callback = lws_extension_callback_pm_deflate
        extensions[0].client_offer = UnsafePointer(cString("permessage-deflate; client_max_window_bits"))

        let ping = UInt16(clamping: configuration.pingInterval.wholeSecondsRoundedUp)
        let retryPolicy = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)
        retryPolicy.initialize(to: lws_retry_bo_t())
        retryPolicy.pointee.secs_since_valid_ping = ping
        // lws asserts hang-up > ping; a peer gets one more interval to answer the ping.
        retryPolicy.pointee.secs_since_valid_hangup = ping &* 2

        var info = lws_context_creation_info()
        info.port = listenerPort == nil ? Int32(configuration.port) : CLWS_PORT_NO_LISTEN_SERVER
        info.iface = UnsafePointer(cString(configuration.host))
        info.protocols = UnsafePointer(protocols.baseAddress)
        info.extensions = configuration.permessageDeflate ? UnsafePointer(extensions.baseAddress) : nil
        info.gid = -1
        info.uid = -1
        info.user = user
        info.keepalive_timeout = Int32(configuration.keepAlive.wholeSecondsRoundedUp)
        info.retry_and_idle_policy = UnsafePointer(retryPolicy)
        info.alpn = UnsafePointer(cString("http/1.1"))  // chunked framing is HTTP/1.1; never negotiate h2
        info.pt_serv_buf_size = UInt32(receiveBuffer)
        // Request line and headers together; lws' 4 KiB default cut off `?indices=` lists of ~500 entries. lws drops
        // a request past this without an answer, so it is generous (held only while headers are parsed).
        info.max_http_header_data = UInt16(TransportConfiguration.maxHeaderBytes)
        info.options = CLWS_OPTION_FAIL_UPON_UNABLE_TO_BIND | CLWS_OPTION_VALIDATE_UTF8
        if !configuration.host.contains(":") { info.options |= CLWS_OPTION_DISABLE_IPV6 }
        if configuration.usesTLS, let certificate = configuration.tlsCertificatePath,
            let key = configuration.tlsPrivateKeyPath
        {
            info.options |= CLWS_OPTION_DO_SSL_GLOBAL_INIT
            info.ssl_cert_filepath = UnsafePointer(cString(certificate))
            info.ssl_private_key_filepath = UnsafePointer(cString(key))
        }

        guard let context = lws_create_context(&info) else {
            Self.release(strings: strings, protocols: protocols, extensions: extensions, retryPolicy: retryPolicy)
            throw configuration.usesTLS
                ? .contextCreationFailed("lws could not create the context (bind or TLS files) on \(configuration.host):\(configuration.port)")
                : .bindFailed(host: configuration.host, port: configuration.port)
        }
        // The default vhost carries the listen socket; with port 0 lws records the port the kernel chose.
        let vhost = lws_get_vhost_by_name(context, "default")
        self.pointer = context
        self.vhost = vhost
        self.port = listenerPort ?? vhost.map { Int(lws_get_vhost_listen_port($0)) } ?? configuration.port
        self.strings = strings
        self.protocols = protocols
        self.extensions = extensions
        self.retryPolicy = retryPolicy
    }

    /// Destroys the context (lws closes every connection, calling back for each) and frees the C memory.
    func destroy() {
        lws_context_destroy(pointer)
        Self.release(strings: strings, protocols: protocols, extensions: extensions, retryPolicy: retryPolicy)
        strings = []
    }

    private static func release(
        strings: [UnsafeMutablePointer<CChar>], protocols: UnsafeMutableBufferPointer<lws_protocols>,
        extensions: UnsafeMutableBufferPointer<lws_extension>, retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>
    ) {
        protocols.deallocate()
        extensions.deallocate()
        retryPolicy.deallocate()
        for string in strings { free(string) }
    }

    /// lws logs to stderr; keep errors and warnings only. Process-wide, so set once.
    static let configureLogging: Void = {
        lws_set_log_level(LLL_ERR | LLL_WARN, nil)
    }()
}
