import SolverCore
import SolverSecurity
import SolverWire

/// A request or reply on a node's RPC channel (`solverd:rpc:{node}`, Redis pub/sub: no extra port between nodes).
///
/// Request: `Q{"req","from","kind","session","principal","roles"}\n` + body (binary, kind-specific). Reply:
/// `R <req> ok\n` + body, or `R <req> error\n` + `{"error":{code,message,field?}}`. The header is JSON so that
/// principal names survive whatever characters they hold; bodies stay raw bytes (a binary update, a solution).
enum RPCMessage: Sendable {
    struct Request: Sendable {
        var req: UInt64
        /// The asking node: the reply goes to its channel.
        var from: String
        /// What is asked, e.g. `update`, `status`; each kind has one handler on the owner.
        var kind: String
        var session: String
        /// Authenticated by the asking node; the owner applies its access rules to it.
        var principal: Principal
        var body: [UInt8]
    }

    case request(Request)
    case reply(req: UInt64, Result<[UInt8], SolverError>)

    func encode() -> [UInt8] {
        switch self {
        case .request(let r):
            var w = JSONWriter()
            w.object { w in
                w.field("req", String(r.req))
                w.field("from", r.from)
                w.field("kind", r.kind)
                w.field("session", r.session)
                w.field("principal", r.principal.name)
                w.key("roles")
                w.array { w in for role in r.principal.roles.sorted() { w.value(role) } }
            }
            return Array("Q".utf8) + w.bytes + [10] + r.body
        case .reply(let req, .success(let body)):
            return Array("R \(req) ok\n".utf8) + body
        case .reply(let req, .failure(let error)):
            return Array("R \(req) error\n".utf8) + WireEncoder.errorBody(error)
        }
    }

    /// nil for anything malformed (a stray publish on the channel is ignored, not answered).
    static func decode(_ payload: [UInt8]) -> RPCMessage? {
        guard let kind = payload.first, let newline = payload.firstIndex(of: 10) else { return nil }
        let body = Array(payload[(newline + 1)...])
        switch kind {
        case UInt8(ascii: "Q"):
            guard let head = try? JSONReader.parse(Array(payload[1..<newline])),
                  case .string(let req)? = head["req"], let number = UInt64(req),
                  case .string(let from)? = head["from"], case .string(let what)? = head["kind"],
                  case .string(let session)? = head["session"], case .string(let name)? = head["principal"] else { return nil }
            let roles = (head["roles"]?.arrayElements ?? []).compactMap { role -> String? in
                if case .string(let r) = role { return r } else { return nil }
            }
            return .request(Request(req: number, from: from, kind: what, session: session,
                                    principal: Principal(name: name, roles: Set(roles)), body: body))
        case UInt8(ascii: "R"):
            let head = String(decoding: payload[..<newline], as: UTF8.self).split(separator: " ")
            guard head.count == 3, let req = UInt64(head[1]) else { return nil }
            if head[2] == "ok" { return .reply(req: req, .success(body)) }
            return .reply(req: req, .failure(Self.error(fromBody: body)))
        default:
            return nil
        }
    }

    /// The `SolverError` an error body describes (code, message and field survive the trip).
    private static func error(fromBody body: [UInt8]) -> SolverError {
        guard let json = try? JSONReader.parse(body), let error = json["error"],
              case .string(let code)? = error["code"] else {
            return SolverError(.internal, "the owner sent an unreadable error")
        }
        var message = "", field: String?
        if case .string(let m)? = error["message"] { message = m }
        if case .string(let f)? = error["field"] { field = f }
        return SolverError(SolverError.Code(rawValue: code) ?? .internal, message, field: field)
    }
}
