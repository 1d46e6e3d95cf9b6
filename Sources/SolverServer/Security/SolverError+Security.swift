import SolverCore

extension SolverError.Code {
    /// No or invalid credentials (401, with `WWW-Authenticate`).
    public static let unauthorized: Self = "unauthorized"
    /// Valid credentials, but not for this session (403).
    public static let forbidden: Self = "forbidden"
    /// Over a request, connection or update budget (429, with `Retry-After`).
    public static let rateLimited: Self = "rate_limited"
    public static let payloadTooLarge: Self = "payload_too_large"
}

extension SolverError {
    static func rateLimited(_ what: String, retryAfter: Double) -> SolverError {
        SolverError(.rateLimited, "\(what); retry in \(RetryAfter.seconds(retryAfter)) s", field: nil)
    }
}

/// `Retry-After` is whole seconds, rounded up, at least 1.
enum RetryAfter {
    static func seconds(_ wait: Double) -> Int { max(1, Int(wait.rounded(.up))) }
}
