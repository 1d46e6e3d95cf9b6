import SolverCore
@testable import SolverWire

/// Request bodies of the example flows (docs/design.md §9) and helpers shared by the message tests.
enum Fixtures {
    /// The §9.1 body as first written (docs/design.md §9.1): `rows`/`cols` 1000 with three columns of data.
    static let planSolveRequest = """
        {
          "matrix": {
            "rows": 1000,
            "cols": 1000,
            "data": {
              "values": [2, -1, -1, 2, -1, -1, 2],
              "row_indices": [0, 0, 1, 1, 1, 2, 2],
              "col_pointers": [0, 2, 5, 7]
            },
            "format": "csr"
          },
          "vector": [1, 2, 3],
          "method": "hybrid",
          "options": {
            "tolerance": 1e-8,
            "swarm_enabled": true
          }
        }
        """

    /// The consistent §9.1 body (docs/design.md §9.1): `[[2,-1,0],[-1,2,-1],[0,-1,2]]`.
    static let consistentSolveRequest = """
        {
          "type": "solve_request",
          "session_id": "uuid-session-123",
          "matrix": {
            "rows": 3, "cols": 3, "format": "csr",
            "data": {"values": [2, -1, -1, 2, -1, -1, 2], "row_indices": [0, 1, 0, 1, 2, 1, 2], "col_pointers": [0, 2, 5, 7]}
          },
          "vector": [1, 2, 3],
          "method": "hybrid",
          "options": {"tolerance": 1e-8, "swarm_enabled": true, "max_iterations": 500, "preconditioner": "jacobi",
                      "verification_interval": 50, "unknown_option": {"ignored": [1]}},
          "flow_nexus": {"swarm_topology": "mesh", "cost_aggregation": "weighted_average", "verification_strategy": "random_probe"}
        }
        """

    /// The §9.2 body as first written (docs/design.md §9.2), posted to `/swarm/costs` without `type`.
    static let planCostUpdate = """
        {
          "session_id": "uuid-session-123",
          "delta_costs": {
            "indices": [100, 205],
            "values": [0.01, -0.003]
          },
          "source_node": "node-abc123"
        }
        """

    static let limits = MatrixLimits()

    static func json(_ text: String) throws -> JSONValue { try JSONReader.parse(text) }

    /// Replaces `old` by `new` in the consistent request (one variation per test case).
    static func consistentVariant(_ old: String, _ new: String) -> String {
        precondition(consistentSolveRequest.contains(old), "fixture does not contain \(old)")
        return consistentSolveRequest.replacingOccurrences(of: old, with: new)
    }
}

extension String {
    fileprivate func replacingOccurrences(of old: String, with new: String) -> String {
        split(separator: old, omittingEmptySubsequences: false).joined(separator: new)
    }
}
