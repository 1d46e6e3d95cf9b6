/// Request headers the transport extracts (lws parses a fixed token set; others are read by name).
/// Names are lower-case; lookup is case-insensitive. Only the headers in ``HTTPHeaders/collectedNames`` are present.
public struct HTTPHeaders: Sendable, Hashable, Sequence {
    /// The headers copied from each request. Upper layers needing more should add a name here.
    public static let collectedNames: [String] = [
        "host", "authorization", "accept", "accept-encoding", "content-type", "content-length", "origin",
        "connection", "upgrade", "user-agent", "last-event-id", "sec-websocket-protocol",
        "access-control-request-method", "access-control-request-headers",
        // MCP streamable HTTP (`/mcp`).
        "mcp-session-id", "mcp-protocol-version",
    ]

    private var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((name.lowercased(), value))
    }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name == key }?.value
    }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> {
        fields.makeIterator()
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }
}
