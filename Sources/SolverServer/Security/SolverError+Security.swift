import SolverCore

extension SolverError {
    static func rateLimited(_ what: String, retryAfter: Double) -> SolverError {
        SolverError(.rateLimited, "\(what); retry in \(RetryAfter.seconds(retryAfter)) s", field: nil)
    }
}

/// `Retry-After` is whole seconds, rounded up, at least 1.
enum RetryAfter {
    static func seconds(_ wait: Double) -> Int { max(1, Int(wait.rounded(.up))) }
}
