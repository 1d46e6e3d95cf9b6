import MCP
import SolverCore

/// JSON Schema fragments shared by the tools' `inputSchema`s. They describe what the wire decoders accept (the
/// decoders stay the authority: a value the schema allows but the decoder refuses is a tool error naming the field).
enum ToolSchemas {
    static let sessionID: Value = [
        "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        "description": "A session id returned by sublinear_solver_stream.",
    ]

    static let numbers: Value = ["type": "array", "items": ["type": "number"]]
    static let indices: Value = ["type": "array", "items": ["type": "integer", "minimum": 0]]

    static let timeout: Value = [
        "type": "integer", "minimum": .int(WaitTimeout.range.lowerBound), "maximum": .int(WaitTimeout.range.upperBound),
        "default": .int(WaitTimeout.defaultMilliseconds),
        "description": "How long to wait for the solve to end, in milliseconds (0: do not wait).",
    ]

    /// `matrix` (docs/design.md §3.2): the layout is chosen by the array names in `data`.
    static let sparseMatrix: Value = [
        "description": """
            A square sparse matrix A. Give `data` with exactly one layout: CSR (row_pointers, col_indices, values), \
            CSC (col_pointers, row_indices, values), COO (rows, cols, values or row_indices, col_indices, values), \
            or dense rows (data as [[…]] or data.dense). `format` is informative only. \
            A bare array of dense rows is accepted too.
            """,
        "oneOf": [
            [
                "type": "object",
                "properties": [
                    "rows": ["type": "integer", "minimum": 1],
                    "cols": ["type": "integer", "minimum": 1],
                    "nnz": ["type": "integer", "minimum": 0],
                    "format": ["type": "string", "enum": ["csr", "csc", "coo", "dense"]],
                    "data": [
                        "oneOf": [
                            [
                                "type": "object",
                                "properties": [
                                    "values": numbers, "row_pointers": indices, "col_indices": indices,
                                    "col_pointers": indices, "row_indices": indices, "rows": indices, "cols": indices,
                                    "dense": ["type": "array", "items": numbers],
                                ],
                            ],
                            ["type": "array", "items": numbers],
                        ],
                    ],
                    "dense": ["type": "array", "items": numbers],
                ],
            ],
            ["type": "array", "items": numbers],
        ],
    ]

    /// Every method a live session can run (random_walk only estimates single coordinates).
    static let methods: [Value] = MethodKind.allCases.filter { $0 != .randomWalk }.map { .string($0.rawValue) }

    /// `options` of a solve request (docs/design.md §3.1), as `SessionOptions` reads and validates them.
    static let solveOptions: Value = [
        "type": "object",
        "properties": [
            "tolerance": [
                "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 1e-8,
                "description": "Relative: converged when ‖b − A x‖₂ ≤ tolerance · ‖b‖₂.",
            ],
            "max_iterations": ["type": "integer", "minimum": 1, "maximum": 10_000_000, "default": 10_000],
            "preconditioner": [
                "type": "string", "enum": .array(PreconditionerKind.allCases.map { .string($0.rawValue) }),
                "description": "For cg and bicgstab (default jacobi).",
            ],
            "verification_interval": ["type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 100],
            "probe_count": ["type": "integer", "minimum": 1, "maximum": 100, "default": 10],
            "convergence_iterations": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 3],
            "relaxation": [
                "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 2, "default": 1,
                "description": "SOR ω for gauss_seidel (alias: omega).",
            ],
            "swarm_enabled": ["type": "boolean", "default": false],
        ],
    ]

    /// An object schema with `properties` and `required`.
    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }
}
