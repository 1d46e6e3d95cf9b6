import Foundation
import SolverCore
import SolverSecurity

/// The service's side of ``OriginPolicy``: refusals as gate refusals (counted under `solverd_rejects_total`),
/// CORS headers for the origins that pass.
extension OriginPolicy {
    /// Checks a request's `Host` and `Origin`; the verdict decides the CORS headers.
    func admit(_ headers: HTTPHeaders) throws(GateRefusal) -> Verdict {
        switch check(host: headers["host"], origin: headers["origin"]) {
        case .success(let verdict):
            return verdict
        case .failure(.host(let host)):
            throw GateRefusal(error: SolverError(.hostNotAllowed, loopbackBind && allowedHosts.isEmpty
                ? "Host '\(host)' is not a loopback name, and this server listens on loopback only (a proxy's name goes in server.allowed_hosts)"
                : "Host '\(host)' is not in server.allowed_hosts", field: nil), headers: [], reason: "host")
        case .failure(.origin(let origin)):
            throw GateRefusal(error: SolverError(.originNotAllowed,
                "Origin '\(origin)' may not use this server; allow it in server.cors_origins (--cors-origin)", field: nil),
                              headers: [], reason: "origin")
        }
    }
}

extension OriginPolicy.Verdict {
    /// CORS response headers: only a configured foreign origin needs them (same-origin pages and non-browsers don't).
    var corsHeaders: [(String, String)] {
        guard case .allowedCrossOrigin(let allowOrigin) = self else { return [] }
        return [("access-control-allow-origin", allowOrigin), ("vary", "Origin"),
                ("access-control-expose-headers", "content-type, retry-after, www-authenticate")]
    }
}

/// Bodies must be JSON: a cross-site HTML form or a CORS "simple request" can only send `text/plain`,
/// `application/x-www-form-urlencoded` or `multipart/form-data`, so this closes form-post CSRF even where no
/// `Origin` is sent. `text/x-matrix-market` session bodies are not CORS-safelisted either, so they pass the same way.
enum JSONContentType {
    static func require(_ headers: HTTPHeaders) throws(SolverError) {
        let declared = headers["content-type"] ?? ""
        guard mediaType(headers) == "application/json" else {
            throw SolverError(.unsupportedMediaType, declared.isEmpty
                ? "the body needs Content-Type: application/json"
                : "the body must be Content-Type: application/json, not '\(declared)'", field: nil)
        }
    }

    /// The declared media type without parameters, lower-cased (`text/x-matrix-market; charset=utf-8` gives
    /// `text/x-matrix-market`); nil without a `Content-Type`.
    static func mediaType(_ headers: HTTPHeaders) -> String? {
        headers["content-type"]?.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
