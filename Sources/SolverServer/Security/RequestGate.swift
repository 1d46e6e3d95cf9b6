import Logging
import SolverSecurity

/// Authentication and the request, connection and update budgets, in one place for HTTP and WebSocket.
/// Every method is cheap and callable on the lws service thread.
final class RequestGate: Sendable {
    let authenticator: Authenticator?
    let limits: ServiceLimits
    let metrics: ServiceMetrics
    let logger: Logger
    private let principalRequests: RateLimiter<String>
    private let ipRequests: RateLimiter<String>
    private let updates: RateLimiter<String>
    private let updateBytes: RateLimiter<String>
    private let principalStreams: ConcurrencyLimiter<String>
    private let ipConnections: ConcurrencyLimiter<String>

    init(authenticator: Authenticator?, limits: ServiceLimits, metrics: ServiceMetrics, logger: Logger,
         clock: @escaping @Sendable () -> Double = RateLimiter<String>.monotonicSeconds) {
        self.authenticator = authenticator
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        principalRequests = RateLimiter(capacity: Double(limits.principalRequests), window: limits.principalWindowSeconds, clock: clock)
        ipRequests = RateLimiter(capacity: Double(limits.ipRequests), window: limits.ipWindowSeconds, clock: clock)
        updates = RateLimiter(capacity: Double(limits.updatesPerSecond), window: 1, clock: clock)
        updateBytes = RateLimiter(capacity: Double(limits.updateBytesPerSecond), window: 1, clock: clock)
        principalStreams = ConcurrencyLimiter(limit: limits.principalConcurrentStreams)
        ipConnections = ConcurrencyLimiter(limit: limits.ipConcurrentConnections)
    }

    /// No credentials configured: everyone is anonymous (and an admin).
    var isOpen: Bool { authenticator?.isOpen ?? true }

    /// The caller's principal, or a 401 refusal. Logs the reason and address, never the token.
    func authenticate(headers: HTTPHeaders, query: [(name: String, value: String)], ip: String) throws(GateRefusal) -> Principal {
        guard let authenticator, !authenticator.isOpen else { return .anonymous }
        do {
            return try authenticator.authenticate(try Credentials.token(headers: headers, query: query))
        } catch {
            metrics.reject("unauthorized")
            logger.notice("authentication failed", metadata: ["reason": "\(error.reason.rawValue)", "remote": "\(ip)"])
            throw .unauthorized(error)
        }
    }

    private func isExempt(_ ip: String) -> Bool {
        !limits.enabled || (isOpen && limits.exemptLoopbackWhenOpen && Loopback.isLoopback(ip))
    }

    /// One request (session creation, a read, a verification) against the principal's and the address's budgets.
    func admitRequest(_ principal: Principal, ip: String) throws(GateRefusal) {
        guard !isExempt(ip) else { return }
        if let wait = ipRequests.take(ip) {
            throw refuse(.limited("too many requests from \(ip)", retryAfter: wait, reason: "ip_requests"), principal, ip)
        }
        if let wait = principalRequests.take(principal.name) {
            throw refuse(.limited("too many requests for \(principal.name)", retryAfter: wait, reason: "principal_requests"), principal, ip)
        }
    }

    /// One cost update of `bytes` against the principal's update budget (count and bytes per second).
    func admitUpdate(_ principal: Principal, ip: String, bytes: Int) throws(GateRefusal) {
        guard !isExempt(ip) else { return }
        if let wait = updates.take(principal.name) ?? updateBytes.take(principal.name, cost: Double(bytes)) {
            throw refuse(.limited("too many updates for \(principal.name)", retryAfter: wait, reason: "updates"), principal, ip)
        }
    }

    /// Whether one more stream or WebSocket would fit (checked before an upgrade, which cannot be refused later).
    func checkStreamCapacity(_ principal: Principal, ip: String) throws(GateRefusal) {
        guard !isExempt(ip) else { return }
        if ipConnections.count(ip) >= limits.ipConcurrentConnections {
            throw refuse(.limited("too many open connections from \(ip)", retryAfter: 1, reason: "ip_connections"), principal, ip)
        }
        if principalStreams.count(principal.name) >= limits.principalConcurrentStreams {
            throw refuse(.limited("too many open streams for \(principal.name)", retryAfter: 1, reason: "principal_streams"), principal, ip)
        }
    }

    /// Counts an open stream or WebSocket; the returned ticket must be released when it closes.
    func openStream(_ principal: Principal, ip: String) throws(GateRefusal) -> StreamTicket {
        guard !isExempt(ip) else { return StreamTicket(principal: nil, ip: nil) }
        guard ipConnections.acquire(ip) else {
            throw refuse(.limited("too many open connections from \(ip)", retryAfter: 1, reason: "ip_connections"), principal, ip)
        }
        guard principalStreams.acquire(principal.name) else {
            ipConnections.release(ip)
            throw refuse(.limited("too many open streams for \(principal.name)", retryAfter: 1, reason: "principal_streams"), principal, ip)
        }
        return StreamTicket(principal: principal.name, ip: ip)
    }

    func release(_ ticket: StreamTicket) {
        if let ip = ticket.ip { ipConnections.release(ip) }
        if let name = ticket.principal { principalStreams.release(name) }
    }

    /// Counts and logs a refusal.
    func refuse(_ refusal: GateRefusal, _ principal: Principal, _ ip: String) -> GateRefusal {
        metrics.reject(refusal.reason)
        logger.debug("request refused", metadata: ["reason": "\(refusal.reason)", "principal": "\(principal.name)", "remote": "\(ip)"])
        return refusal
    }
}

/// What an open stream holds against the concurrency limits (nil parts were exempt).
struct StreamTicket: Sendable {
    let principal: String?
    let ip: String?
}
