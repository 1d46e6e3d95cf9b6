import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

/// The status's `memory` breakdown: it sums to `memory_bytes`, and its components follow what the session holds.
@Suite struct SessionMemoryTests {
    let registry = SessionRegistry()

    func makeSession(side: Int, method: MethodKind, preconditioner: PreconditionerKind? = nil) throws -> Session {
        var options = SessionOptions()
        options.method = method
        options.preconditioner = preconditioner
        let a = MatrixGenerators.laplacian2D(side: side, shift: 1)
        return try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
    }

    func converged(_ session: Session, applied: Int = 0) -> SessionStatus? {
        eventually { session.status.phase == .converged && session.status.updatesApplied == applied }
            ? session.status : nil
    }

    @Test(arguments: [MethodKind.cg, .hybrid, .gmres, .cholesky])
    func breakdownSumsToMemoryBytes(_ method: MethodKind) throws {
        let session = try makeSession(side: 12, method: method)
        let status = try #require(converged(session))
        #expect(status.memoryBytes == status.memory.components.reduce(0) { $0 + $1.bytes })
        #expect(status.memoryBytes == status.memory.total)
        #expect(status.memory.matrix > 0 && status.memory.vectors > 0 && status.memory.events > 0)
        #expect(status.memory.transpose == 0, "the Laplacian is symmetric: push reads A itself")
        #expect(status.memory.workspace == 0, "a converged session keeps no work vectors")
        let direct = ["cholesky", "ldlt", "lu(klu)", "lu(umfpack)"].contains(status.method)
        #expect((status.memory.factor > 0) == direct, "\(status.method)")
        session.close(reason: .closedByClient, message: "test")
    }

    /// A CG + IC(0) session of n = 900 (4,380 nonzeros): the figures the data structures give, within malloc's
    /// rounding of each array.
    @Test func cgSessionAccountsWhatItHolds() throws {
        let session = try makeSession(side: 30, method: .cg, preconditioner: .ilu)
        let first = try #require(converged(session))
        let n = first.rows, nnz = first.nnz
        func near(_ bytes: Int, _ payload: Int, arrays: Int) -> Bool { bytes >= payload && bytes <= payload + 64 * arrays }
        #expect(first.method == "cg+ic0")
        #expect(near(first.memory.matrix, (n + 1) * 4 + nnz * 12 + n * 4, arrays: 4))
        // b, x, r, the frame baseline, and a sum tree of 2 · 128 nodes (113 blocks of 8 rows).
        #expect(near(first.memory.vectors, 4 * n * 8 + 2 * 128 * 8, arrays: 5))
        #expect(near(first.memory.preconditioner, (n + 1) * 4 + (nnz + n) / 2 * 12, arrays: 3))
        #expect(first.memory.livePush == 0, "push state is allocated by the first local update")
        _ = try session.submit(CostUpdate(deltaIndices: [17], deltaValues: [0.25]))
        let second = try #require(converged(session, applied: 1))
        // 6 bytes of marks a row, and lists as long as the push reached (256 slots at first, n at most).
        #expect(second.memory.livePush >= 6 * n + 3 * 256 * 4 && second.memory.livePush <= 18 * n + 4 * 64)
        #expect(second.memoryBytes == second.memory.total)
        session.close(reason: .closedByClient, message: "test")
    }
}
