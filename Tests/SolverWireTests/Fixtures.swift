import SolverCore
@testable import SolverWire

/// Request bodies from the plan (§9) and helpers shared by the message tests.
enum Fixtures {
    /// Plan §9.1 exactly as written: `rows`/`cols` 1000 with three columns of data.
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

    /// Plan errata §1: the consistent version, `[[2,-1,0],[-1,2,-1],[0,-1,2]]`.
    static let errataSolveRequest = """
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

    /// Plan §9.2, posted to `/swarm/costs` without `type`.
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

    /// Replaces `old` by `new` in the errata request (one variation per test case).
    static func errataVariant(_ old: String, _ new: String) -> String {
        precondition(errataSolveRequest.contains(old), "fixture does not contain \(old)")
        return errataSolveRequest.replacingOccurrences(of: old, with: new)
    }
}

extension String {
    fileprivate func replacingOccurrences(of old: String, with new: String) -> String {
        split(separator: old, omittingEmptySubsequences: false).joined(separator: new)
    }
}
