/// An extra endpoint family served on the same port by a plug-in module (MCP at `/mcp`, the cluster's internal
/// API), so those modules depend on the server and not the other way round.
///
/// `handle` is called on the lws service thread and must not block: answer through `responder`, from any thread.
public protocol ServiceRoute: Sendable {
    /// Whether this route serves `path`; plug-in routes are asked before the built-in ones.
    func matches(_ path: String) -> Bool
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
