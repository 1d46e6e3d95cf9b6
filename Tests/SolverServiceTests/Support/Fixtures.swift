import Foundation
import JWTKit
import SolverCore
import SolverSecurity
import SolverTestSupport

/// A 4×4 nonsymmetric, diagonally dominant system small enough to check against a dense solve.
enum TinySystem {
    static let dense: [[Double]] = [
        [4, -1, 0, 1],
        [-1, 5, -2, 0],
        [0, -1, 6, -1],
        [2, 0, -1, 5],
    ]
    static let b: [Double] = [1, 2, 3, 4]
    static let rows = dense.count
    static var nnz: Int { dense.joined().filter { $0 != 0 }.count }

    static var csr: CSRMatrix {
        var triplets = COOTriplets(rows: rows, cols: rows)
        for (i, row) in dense.enumerated() {
            for (j, value) in row.enumerated() where value != 0 { triplets.append(row: i, col: j, value: value) }
        }
        return triplets.toCSR()
    }

    /// The matrix as the wire's CSR object.
    static var matrixJSON: [String: Any] {
        var rowPointers = [0], colIndices: [Int] = [], values: [Double] = []
        for row in dense {
            for (j, value) in row.enumerated() where value != 0 {
                colIndices.append(j)
                values.append(value)
            }
            rowPointers.append(values.count)
        }
        return ["rows": rows, "cols": rows, "format": "csr",
                "data": ["row_pointers": rowPointers, "col_indices": colIndices, "values": values]]
    }

    /// A `solve_request` / `POST /api/v1/sessions` body solving to a relative residual of 1e-12.
    static func request(vector: [Double] = b, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["matrix": matrixJSON, "vector": vector, "options": ["tolerance": 1e-12]]
        body.merge(extra) { _, new in new }
        return body
    }

    /// `x` with `A x = b` by dense elimination (the independent reference).
    static func solution(_ rhs: [Double] = b) -> [Double] {
        DenseReference.solve(csr, rhs)!
    }
}

/// Whether two vectors agree to `tolerance`, relative to the size of `expected`.
func agrees(_ x: [Double], _ expected: [Double], tolerance: Double = 1e-9) -> Bool {
    let scale = max(1, expected.map(abs).max() ?? 0)
    return x.count == expected.count && DenseReference.maxDifference(x, expected) <= tolerance * scale
}

/// The credentials a secured ``TestApp`` accepts: static tokens for alice, bob and root (admin) and HS256 JWTs.
enum TestCredentials {
    static let alice = "alice-static-token"
    static let bob = "bob-static-token"
    static let root = "root-static-token"
    static let secret = "an-hs256-secret-for-the-service-tests-0123456789"
    static let issuer = "https://issuer.example"
    static let audience = "solverd"

    static func authenticator() async throws -> Authenticator {
        var settings = AuthSettings()
        settings.tokens = [
            .init(sha256: StaticTokenStore.sha256Hex(alice), principal: "alice"),
            .init(sha256: StaticTokenStore.sha256Hex(bob), principal: "bob"),
            .init(sha256: StaticTokenStore.sha256Hex(root), principal: "root", roles: [Principal.adminRole]),
        ]
        settings.jwt.keys = [.init(algorithm: .hs256, material: secret)]
        settings.jwt.issuer = issuer
        settings.jwt.audience = audience
        return try Authenticator(settings: settings, jwt: try await JWTVerifier.make(settings.jwt))
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim
        var aud: AudienceClaim
        var roles: [String]?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// An HS256 JWT for `subject`, valid for five minutes.
    static func jwt(_ subject: String, roles: [String]? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(Claims(sub: .init(value: subject), exp: .init(value: Date().addingTimeInterval(300)),
                                          iss: .init(value: issuer), aud: .init(value: [audience]), roles: roles))
    }
}
