import SolverCore
import SolverSession
import SolverTestSupport

/// `solverd-bench memory`: issue 16's figure, what a CG session holds all in. `count` CG sessions of the sessions
/// benchmark's shape (side² unknowns, 5-point Laplacian + shift: n = 10,000, 49,600 nonzeros), measured in a process
/// of their own so RSS growth is theirs alone: RSS growth and accounted `memory_bytes` per session after convergence
/// and after updates, and the work vectors a global solve holds while it runs (freed when it ends).
struct MemoryBenchmark {
    var sessions = SessionsBenchmark()
    var preconditioner = PreconditionerKind.jacobi
    var updateRounds = 10

    func run() throws -> [String: Any] {
        var options = SessionOptions()
        options.method = .cg
        options.preconditioner = preconditioner
        let side = sessions.side
        progress("memory: \(sessions.count) cg+\(preconditioner.rawValue) sessions of n = \(side * side)")
        var result = try sessions.fleetMemory(side: side, options: options, updateRounds: updateRounds)
        result["sessions"] = sessions.count
        result["workspace_while_solving"] = try workspaceWhileSolving(side: side)
        return result
    }

    /// The method restarted and stepped once on a system of the fleet's shape: its work vectors while it runs.
    private func workspaceWhileSolving(side: Int) throws -> [String: Any] {
        let system = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: side, shift: sessions.shift),
                                    b: MatrixGenerators.randomVector(side * side, seed: 1))
        let method = try MethodFactory.makeMethod(kind: .cg, preconditioner: preconditioner)
        try method.restart(system)
        _ = method.step(system)
        var memory = MemoryBreakdown()
        method.accountMemory(&memory, system: system)
        return ["method": method.name, "workspace_bytes": memory.workspace]
    }
}
