import Testing
@testable import SolverCore
import SolverTestSupport

/// `LiveSystem.isSymmetric` is kept in step with single-entry updates (it decides push's over-relaxation).
@Suite struct LiveSystemSymmetryTests {
    @Test func symmetryFollowsEntryUpdates() throws {
        let a = MatrixGenerators.laplacian2D(side: 6, shift: 1)
        let system = try LiveSystem(matrix: a, b: MatrixGenerators.randomVector(a.rows))
        #expect(system.isSymmetric)
        try system.setEntry(row: 2, col: 2, to: 7)
        #expect(system.isSymmetric)
        try system.setEntry(row: 0, col: 1, to: -0.5)
        #expect(!system.isSymmetric)
        try system.setEntry(row: 1, col: 0, to: -0.5)
        #expect(system.isSymmetric)
        // Both entries of a pair changed between two reads are judged one after the other.
        try system.setEntry(row: 0, col: 1, to: -2)
        try system.setEntry(row: 1, col: 0, to: -2)
        #expect(system.isSymmetric)
        try system.setEntry(row: 0, col: 1, to: -3)
        try system.setEntry(row: 1, col: 0, to: -4)
        #expect(!system.isSymmetric)
        try system.setEntry(row: 1, col: 0, to: -3)
        #expect(system.isSymmetric)
        try system.setEntry(row: 0, col: 20, to: 0.25)  // a new nonzero without its mirror
        #expect(!system.isSymmetric)
        try system.setEntry(row: 20, col: 0, to: 0.25)
        #expect(system.isSymmetric)
        #expect(system.isSymmetric == (system.matrix.asymmetricEntryCount() == 0))
    }

    @Test func pushOverRelaxesOnlySymmetricMatrices() throws {
        let symmetric = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: 6, shift: 1),
                                       b: MatrixGenerators.randomVector(36))
        let general = try LiveSystem(matrix: MatrixGenerators.randomDiagonallyDominant(n: 40),
                                     b: MatrixGenerators.randomVector(40))
        let push = ForwardPush()
        try push.restart(symmetric)
        #expect(push.relaxation == ForwardPush.symmetricRelaxation)
        try push.restart(general)
        #expect(push.relaxation == 1 || general.isSymmetric)
    }
}
