import SolverCore
import SolverWire

/// The OpenAPI 3.1 description of the HTTP API, served at `GET /api/v1/openapi.json` and committed as
/// `docs/openapi.json` (a test keeps the two identical, and runs schemathesis against the live server from it).
///
/// Written in code beside the routes so that what can drift is generated: error codes from the registry, method
/// and option names from their enums, the protocol version from `WireProtocol`. Each operation lists the statuses
/// it answers; the statuses every operation can meet (auth, origin, host, rate limit, drain) are added to all.
public enum OpenAPIDocument {
    /// The document as pretty-printed JSON (stable: the same bytes on every call).
    public static func json(version: String) -> String { document(version: version).prettyJSON }

    static func document(version: String) -> SpecNode {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "solverd",
                "version": .string(version),
                "description": .string("""
                    Real-time sparse linear-system solver service. Create a session with A x = b, push changes to b \
                    and A, and follow the re-convergence as events (NDJSON or SSE here, or the WebSocket at \
                    /ws/solver, subprotocol \(WireProtocol.subprotocol): see docs/protocol.md). Errors are always \
                    {"error":{"code","message","field"?}}. Protocol version \(WireProtocol.version): replies and \
                    events may gain members and new error codes may appear within a version; clients ignore what \
                    they do not know.
                    """),
                "license": ["name": "GPL-2.0-or-later", "identifier": "GPL-2.0-or-later"],
            ],
            "servers": [["url": "/"]],
            "security": [[:], ["bearer": []], ["access_token": []]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer",
                               "description": "A static token or a JWT (HS256, RS256, ES256). Not needed on an open server (no auth configured)."],
                    "access_token": ["type": "apiKey", "in": "query", "name": "access_token",
                                     "description": "The bearer token as a query parameter, for clients that cannot set headers."],
                ],
                "schemas": .object(requestSchemas + responseSchemas),
                "responses": ["Error": ["description": "An error: `code` names it, `field` the request member at fault.",
                                        "content": ["application/json": ["schema": Schema.ref("Error")]]]],
            ],
        ]
    }

    // MARK: Operations

    /// Statuses any operation may answer: credentials, browser policy, limits, drain.
    static let commonErrors = [401, 403, 421, 429, 503]

    struct Operation {
        var summary: String
        var request: SpecNode? = nil
        var requestRequired = true
        /// Other media types the request body may have besides JSON.
        var otherBodies: [(String, SpecNode)] = []
        var parameters: [SpecNode] = []
        var responses: [(Int, String, SpecNode?)]
        var errors: [Int] = []
        var contentType = "application/json"

        func node(id: String, tags: [String]) -> SpecNode {
            var members: [(String, SpecNode)] = [("operationId", .string(id)), ("summary", .string(summary)),
                                                 ("tags", .array(tags.map(SpecNode.string)))]
            if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
            if let request {
                let content: [(String, SpecNode)] = [("application/json", ["schema": request])] + otherBodies.map { ($0.0, ["schema": $0.1]) }
                members.append(("requestBody", ["required": .bool(requestRequired), "content": .object(content)]))
            }
            var answers: [(String, SpecNode)] = responses.map { status, description, schema in
                guard let schema else { return (String(status), ["description": .string(description)]) }
                return (String(status), ["description": .string(description), "content": .object([(contentType, .object([("schema", schema)]))])])
            }
            for status in Set(errors + OpenAPIDocument.commonErrors).sorted() where !responses.contains(where: { $0.0 == status }) {
                answers.append((String(status), ["$ref": .string("#/components/responses/Error")]))
            }
            members.append(("responses", .object(answers)))
            return .object(members)
        }
    }

    static func parameter(_ name: String, in location: String = "query", _ schema: SpecNode, _ description: String,
                          required: Bool = false) -> SpecNode {
        ["name": .string(name), "in": .string(location), "required": .bool(required || location == "path"),
         "description": .string(description), "schema": schema]
    }

    /// The members of a `solve_request` whose matrix is sent as a Matrix Market body (ignored with JSON bodies).
    static var matrixMarketParameters: [SpecNode] {
        typealias S = Schema
        let note = " (Matrix Market bodies only.)"
        return [
            parameter("vector", S.string(pattern: "^(ones|zeros|-?[0-9.eE+-]+(,-?[0-9.eE+-]+)*)$"), "b: ones (default), zeros, or comma-separated numbers." + note),
            parameter("method", S.string(oneOf: MethodKind.allCases.map(\.rawValue)), "The method." + note),
            parameter("session_id", Schema.sessionID, "The session's id." + note),
            parameter("tolerance", S.number(above: 0, below: 1), "options.tolerance." + note),
            parameter("max_iterations", S.integer(minimum: 1, maximum: 10_000_000), "options.max_iterations." + note),
            parameter("preconditioner", S.string(oneOf: PreconditionerKind.allCases.map(\.rawValue)), "options.preconditioner." + note),
            parameter("relaxation", S.number(above: 0, below: 2), "options.relaxation." + note),
            parameter("probe_count", S.integer(minimum: 1, maximum: 100), "options.probe_count." + note),
            parameter("verification_interval", S.integer(minimum: 1, maximum: 1_000_000), "options.verification_interval." + note),
            parameter("convergence_iterations", S.integer(minimum: 1, maximum: 1000), "options.convergence_iterations." + note),
        ]
    }

    static let sessionParameter = parameter("session_id", in: "path", Schema.sessionID, "The session.")

    /// An event stream: NDJSON (one JSON object per line) or SSE (`id:` = seq, `event:` = type, `data:` = JSON).
    static func stream(_ description: String) -> SpecNode {
        let record = Schema.oneOf([Schema.ref("SessionCreated"), Schema.ref("Event"), Schema.ref("Heartbeat"), Schema.ref("Shutdown")])
        return ["description": .string(description),
                "content": ["application/x-ndjson": ["schema": record, "x-framing": "one JSON object per line"],
                            "text/event-stream": ["schema": ["type": "string"],
                                                  "x-framing": "SSE: id = seq, event = type, data = the JSON record"]]]
    }

    static var paths: [(String, SpecNode)] {
        typealias S = Schema
        let json = Schema.ref
        let health = Operation(summary: "Liveness; 503 while draining.",
                               responses: [(200, "Serving.", json("Health")), (503, "Draining.", json("Health"))])
        var create = Operation(summary: "Create a session (solve_request).", request: json("SolveRequest"),
                               responses: [(201, "Created; solving has begun.", json("SessionCreated"))],
                               errors: [400, 409, 411, 413, 415, 422])
        create.otherBodies = [(SolveRequest.matrixMarketMediaType, S.string(
            "A Matrix Market file (coordinate real/integer/pattern, general/symmetric/skew-symmetric); the rest of the request comes from the query.",
            pattern: "^%%MatrixMarket matrix (coordinate|array) ", minLength: 1))]
        create.parameters = matrixMarketParameters
        let until = parameter("until", S.string(oneOf: ["converged"]), "End the stream at the first convergence_signal.")
        var streamCreate = create
        streamCreate.summary = "Create a session and stream its events (session_created first)."
        streamCreate.parameters = [until] + matrixMarketParameters
        streamCreate.responses = []
        var paths: [(String, SpecNode)] = [
            ("/health", ["get": health.node(id: "health", tags: ["service"])]),
            ("/api/v1/health", ["get": health.node(id: "apiHealth", tags: ["service"])]),
            ("/metrics", ["get": Operation(summary: "Prometheus metrics (text exposition format 0.0.4).",
                                           responses: [(200, "Metrics.", S.string())], errors: [404],
                                           contentType: "text/plain").node(id: "metrics", tags: ["service"])]),
            ("/api/v1/openapi.json", ["get": Operation(summary: "This document.", responses: [(200, "OpenAPI 3.1.", S.object([]))])
                .node(id: "openapi", tags: ["service"])]),
            ("/api/v1/status", ["get": Operation(summary: "Service status: node, sessions, connections, cluster nodes.",
                                                 responses: [(200, "Status.", json("ServiceStatus"))])
                .node(id: "serviceStatus", tags: ["service"])]),
            ("/api/v1/sessions", [
                "get": Operation(summary: "Sessions visible to the caller.", responses: [(200, "The list.", json("SessionList"))])
                    .node(id: "listSessions", tags: ["sessions"]),
                "post": linkingSession(create.node(id: "createSession", tags: ["sessions"]), 201),
            ]),
        ]
        var streamOperation = streamCreate.node(id: "solveStream", tags: ["sessions"])
        streamOperation = replacingResponse(streamOperation, 200, stream("session_created, then the session's events."))
        paths.append(("/api/v1/solve-stream", ["post": streamOperation]))
        paths += sessionPaths + swarmPaths
        return paths
    }

    static var sessionPaths: [(String, SpecNode)] {
        typealias S = Schema
        let json = Schema.ref
        let status = Operation(summary: "A session's status.", parameters: [sessionParameter],
                               responses: [(200, "Status.", json("SessionStatus"))], errors: [404, 410, 422, 504])
        let since = parameter("since", S.count(), "Replay the retained events after this seq first (or the Last-Event-ID header).")
        let lastEventID = parameter("Last-Event-ID", in: "header", S.string(pattern: "^[0-9]+$"), "SSE resume point: a seq.")
        let until = parameter("until", S.string(oneOf: ["converged"]), "End the stream at the next convergence_signal.")
        var events = Operation(summary: "Subscribe to a session's events (NDJSON, or SSE with Accept: text/event-stream).",
                               parameters: [sessionParameter, since, lastEventID, until], responses: [],
                               errors: [404, 410, 422]).node(id: "sessionEvents", tags: ["sessions"])
        events = replacingResponse(events, 200, stream("The events, in seq order, each once; heartbeats keep it alive."))
        return [
            ("/api/v1/sessions/{session_id}", [
                "get": status.node(id: "getSession", tags: ["sessions"]),
                "delete": Operation(summary: "Close a session.", parameters: [sessionParameter],
                                    responses: [(200, "Closed.", json("SessionDeleted"))], errors: [404, 410, 422, 504])
                    .node(id: "deleteSession", tags: ["sessions"]),
            ]),
            ("/api/v1/status/{session_id}", ["get": status.node(id: "sessionStatus", tags: ["sessions"])]),
            ("/api/v1/sessions/{session_id}/solution", ["get": Operation(
                summary: "x, or the entries named by indices, with the seq of the last update it reflects.",
                parameters: [sessionParameter, parameter("indices", S.string(pattern: "^[0-9]+(,[0-9]+)*$"),
                                                         "Comma-separated entries of x to read.")],
                responses: [(200, "The solution.", json("Solution"))], errors: [404, 410, 413, 422, 504])
                .node(id: "getSolution", tags: ["sessions"])]),
            ("/api/v1/sessions/{session_id}/events", ["get": events]),
        ]
    }

    static var swarmPaths: [(String, SpecNode)] {
        typealias S = Schema
        let json = Schema.ref
        let nodes = S.object([("self", S.string()), ("nodes", S.array(json("Node")))], required: ["nodes"])
        return [
            ("/api/v1/swarm/costs", ["post": Operation(
                summary: "Push a cost_update (b[i] += value, entries of A) or a cost_report; acknowledged once queued in order (journaled in cluster mode).",
                request: S.oneOf([json("CostUpdate"), json("CostReport")]),
                responses: [(202, "Accepted; seq orders it among the session's events.", json("Ack"))],
                errors: [400, 404, 409, 410, 411, 413, 415, 422]).node(id: "pushCosts", tags: ["updates"])]),
            ("/api/v1/verify", ["post": Operation(
                summary: "Verify now: random-probe residuals (or a swarm vote).", request: json("VerifyRequest"),
                responses: [(200, "The result.", json("VerificationResult"))],
                errors: [400, 404, 410, 411, 413, 415, 422, 504]).node(id: "verify", tags: ["sessions"])]),
            ("/api/v1/swarm/join", ["post": Operation(
                summary: "Join the swarm (cluster mode registers the node; embedded answers this node alone).",
                request: S.request([("node_id", S.string(minLength: 1)), ("address", S.string())], required: ["node_id"]),
                requestRequired: false, responses: [(200, "The swarm's nodes.", S.oneOf([json("SwarmJoined"), nodes]))], errors: [400, 415, 422])
                .node(id: "swarmJoin", tags: ["cluster"])]),
            ("/api/v1/swarm/nodes", ["get": Operation(summary: "Every node with health (cluster mode; 404 when embedded).",
                                                      responses: [(200, "The nodes.", nodes)], errors: [404])
                .node(id: "swarmNodes", tags: ["cluster"])]),
            ("/api/v1/cluster/sessions/{session_id}", ["get": Operation(
                summary: "The node owning a session (cluster mode; 404 when embedded).", parameters: [sessionParameter],
                responses: [(200, "The owner.", S.object([("session_id", S.sessionID), ("owner", S.string())],
                                                         required: ["session_id", "owner"]))],
                errors: [404, 422]).node(id: "sessionOwner", tags: ["cluster"])]),
        ]
    }

    /// `operation` with its `status` response replaced by `response` (streams have no single JSON schema).
    static func replacingResponse(_ operation: SpecNode, _ status: Int, _ response: SpecNode) -> SpecNode {
        guard case .object(let members) = operation, case .object(let responses)? = operation["responses"] else { return operation }
        let others = responses.filter { $0.0 != String(status) }
        let updated = members.map { key, value in key == "responses" ? (key, .object([(String(status), response)] + others)) : (key, value) }
        return .object(updated)
    }

    /// OpenAPI links from a reply naming a session to the operations on it (clients and fuzzers follow them).
    static func linkingSession(_ operation: SpecNode, _ status: Int) -> SpecNode {
        guard case .object(let responses)? = operation["responses"], let response = responses.first(where: { $0.0 == String(status) })?.1
        else { return operation }
        let targets = ["getSession", "sessionStatus", "getSolution", "deleteSession", "sessionOwner"]
        let links = SpecNode.object(targets.map { target in
            (target, ["operationId": .string(target), "parameters": ["session_id": "$response.body#/session_id"]])
        })
        return replacingResponse(operation, status, response.adding([("links", links)]))
    }
}
