import Testing
import SolverCore
import SolverSession
@testable import SolverWire

@Suite struct SolveRequestTests {
    func decode(_ text: String) throws -> SolveRequest {
        try SolveRequest.decode(Fixtures.json(text), limits: Fixtures.limits)
    }

    func expectError(_ text: String, code: SolverError.Code, field: String, mentions: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try decode(text)
            Issue.record("decoded", sourceLocation: sourceLocation)
        } catch let e as SolverError {
            #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
            #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
            for word in mentions { #expect(e.message.contains(word), "\(e)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    /// The §9.1 body as first written (docs/design.md §9.1) is refused, naming 3 columns vs the declared 1000.
    @Test func planBodyAsWrittenNamesTheMismatch() {
        expectError(Fixtures.planSolveRequest, code: .dimensionMismatch, field: "matrix.data.col_pointers",
                    mentions: ["3", "1000"])
        #expect(SolverError(.dimensionMismatch, "").httpStatus == 422)
    }

    /// With the sizes fixed but the data as written, the repeated row in a compressed column is still an error.
    @Test func planDataWithFixedSizesIsStillRefused() {
        let text = Fixtures.planSolveRequest.split(separator: "1000").joined(separator: "3")
        expectError(text, code: .duplicateEntry, field: "matrix.data.row_indices", mentions: ["column 0", "row 0"])
    }

    @Test func consistentBodyDecodesToTheTridiagonalMatrix() throws {
        let request = try decode(Fixtures.consistentSolveRequest)
        let spec = request.spec
        #expect(spec.id?.rawValue == "uuid-session-123")
        #expect(spec.matrix.rows == 3 && spec.matrix.cols == 3)
        let dense = (0..<3).map { i in (0..<3).map { j in spec.matrix[i, j] } }
        #expect(dense == [[2, -1, 0], [-1, 2, -1], [0, -1, 2]])
        #expect(spec.rightHandSide == [1, 2, 3])
        #expect(spec.initialGuess == nil)
        #expect(spec.options.method == .hybrid)
        #expect(spec.options.tolerance == 1e-8)
        #expect(spec.options.maxIterations == 500)
        #expect(spec.options.preconditioner == .jacobi)
        #expect(spec.options.verificationInterval == 50)
        #expect(spec.options.swarmEnabled)
        #expect(spec.options.flowNexus == (try FlowNexusOptions()))
    }

    @Test func otherMatrixShapes() throws {
        let dense = #"{"matrix": [[4, 1], [1, 3]], "vector": [1, 2], "x0": [0, 0], "method": "cg", "options": {"omega": 1.2}}"#
        let a = try decode(dense)
        #expect(a.spec.matrix[0, 1] == 1 && a.spec.matrix.nnz == 4)
        #expect(a.spec.initialGuess == [0, 0])
        #expect(a.spec.options.method == .cg && a.spec.options.relaxation == 1.2)
        let denseMember = #"{"matrix": {"dense": [[4, 0], [0, 3]]}, "vector": [1, 2]}"#
        #expect(try decode(denseMember).spec.matrix.nnz == 2)
        let denseData = #"{"matrix": {"rows": 2, "data": [[4, 0], [0, 3]]}, "vector": [1, 2]}"#
        #expect(try decode(denseData).spec.matrix.nnz == 2)
        let csr = #"{"matrix": {"data": {"row_pointers": [0, 1, 2], "col_indices": [0.0, 1], "values": [1, 2]}}, "vector": [1, 2]}"#
        #expect(try decode(csr).spec.matrix[1, 1] == 2)
        let coo = #"{"matrix": {"data": {"rows": [0, 1, 1], "cols": [0, 1, 1], "values": [1, 2, 3]}}, "vector": [1, 2]}"#
        #expect(try decode(coo).spec.matrix[1, 1] == 5)
    }

    @Test(arguments: [
        (#""row_indices": [0, 1, 0, 1, 2, 1, 2]"#, #""row_indices": [0, 1, 0.5, 1, 2, 1, 2]"#, SolverError.Code.invalidType, "matrix.data.row_indices[2]"),
        (#""row_indices": [0, 1, 0, 1, 2, 1, 2]"#, #""row_indices": [0, 1, "0", 1, 2, 1, 2]"#, .invalidType, "matrix.data.row_indices[2]"),
        (#""row_indices": [0, 1, 0, 1, 2, 1, 2]"#, #""row_indices": [0, 1, 0, 1, 2, 1, 1e30]"#, .invalidArgument, "matrix.data.row_indices[6]"),
        (#""row_indices": [0, 1, 0, 1, 2, 1, 2]"#, #""row_indices": [0, 1, 0, 1, 2, 1, 3]"#, .indexOutOfRange, "matrix.data.row_indices[6]"),
        (#""values": [2, -1, -1, 2, -1, -1, 2]"#, #""values": [2, -1, -1, 2, -1, -1, true]"#, .invalidType, "matrix.data.values[6]"),
        (#""values": [2, -1, -1, 2, -1, -1, 2]"#, #""values": {}"#, .invalidType, "matrix.data.values"),
        (#""rows": 3"#, #""rows": "3""#, .invalidType, "matrix.rows"),
        (#""rows": 3"#, #""rows": -3"#, .invalidArgument, "matrix.rows"),
        (#""rows": 3"#, #""rows": 3, "nnz": 8"#, .dimensionMismatch, "matrix.nnz"),
        (#""vector": [1, 2, 3]"#, #""vector": [1, "2", 3]"#, .invalidType, "vector[1]"),
        (#""vector": [1, 2, 3]"#, #""vectr": [1, 2, 3]"#, .missingField, "vector"),
        (#""vector": [1, 2, 3]"#, #""vector": [1, 2, 3], "x0": 5"#, .invalidType, "x0"),
        (#""method": "hybrid""#, #""method": "simplex""#, .unsupportedMethod, "method"),
        (#""method": "hybrid""#, #""method": 3"#, .invalidType, "method"),
        (#""tolerance": 1e-8"#, #""tolerance": "tight""#, .invalidType, "options.tolerance"),
        (#""tolerance": 1e-8"#, #""tolerance": 2"#, .invalidArgument, "options.tolerance"),
        (#""max_iterations": 500"#, #""max_iterations": 50.5"#, .invalidType, "options.max_iterations"),
        (#""swarm_enabled": true"#, #""swarm_enabled": "yes""#, .invalidType, "options.swarm_enabled"),
        (#""preconditioner": "jacobi""#, #""preconditioner": "amg""#, .invalidArgument, "options.preconditioner"),
        (#""verification_interval": 50"#, #""verification_interval": 0"#, .invalidArgument, "options.verification_interval"),
        (#""swarm_topology": "mesh""#, #""swarm_topology": "torus""#, .invalidArgument, "flow_nexus.swarm_topology"),
        (#""session_id": "uuid-session-123""#, #""session_id": "../etc""#, .invalidArgument, "session_id"),
        (#""session_id": "uuid-session-123""#, #""session_id": 7"#, .invalidType, "session_id"),
        (#""type": "solve_request""#, #""type": "cost_update""#, .unknownType, "type"),
        (#""col_pointers": [0, 2, 5, 7]"#, #""col_pointer": [0, 2, 5, 7]"#, .invalidMatrix, "matrix.data"),
        (#""data": {"#, #""dta": {"#, .missingField, "matrix.data"),
        (#""options": {"#, #""options": [], "unused": {"#, .invalidType, "options"),
    ])
    func eachErrorNamesItsField(_ old: String, _ new: String, _ code: SolverError.Code, _ field: String) {
        expectError(Fixtures.consistentVariant(old, new), code: code, field: field)
    }

    @Test func matrixIsRequiredAndTopLevelMustBeAnObject() {
        expectError(#"{"vector": [1]}"#, code: .missingField, field: "matrix")
        #expect { try SolveRequest.decode(.numbers([1]), limits: Fixtures.limits) } throws: {
            ($0 as? SolverError)?.code == .invalidType
        }
    }

    @Test func limitsApply() {
        let small = MatrixLimits(maxRows: 2, maxNonzeros: 100)
        #expect {
            try SolveRequest.decode(Fixtures.json(Fixtures.consistentSolveRequest), limits: small)
        } throws: { ($0 as? SolverError)?.code == .tooLarge }
    }
}
