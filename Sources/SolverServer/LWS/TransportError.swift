/// Why the transport could not start or stopped. Raised to the process that starts the server and never sent to a
/// client, so its codes are not in the wire registry (`SolverError.Code`).
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The address could not be bound (port taken, bad host, no permission).
        public static let bindFailed = Code("bind_failed")
        /// `start()` was called on a server that was already started or stopped.
        public static let alreadyStarted = Code("already_started")
        /// lws refused the configuration (e.g. unreadable TLS files).
        public static let contextCreationFailed = Code("context_creation_failed")
    }

    public let code: Code
    public let message: String

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func bindFailed(host: String, port: Int) -> Self {
        .init(code: .bindFailed, message: "could not listen on \(host):\(port) (address in use or not available)")
    }
    static func alreadyStarted() -> Self {
        .init(code: .alreadyStarted, message: "the transport was already started")
    }
    static func contextCreationFailed(_ detail: String) -> Self {
        .init(code: .contextCreationFailed, message: detail)
    }
}
