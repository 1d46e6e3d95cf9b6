import SolverCore
import SolverSession

/// Everything a client sends: WebSocket text messages and HTTP bodies. On the WebSocket `type` is required;
/// HTTP endpoints imply it and use the per-message `decode(_:)` functions directly.
public enum ClientMessage: Sendable {
    case solveRequest(SolveRequest)
    case subscribe(SubscribeRequest)
    case unsubscribe(UnsubscribeRequest)
    /// A `cost_update`, or a `cost_report` (whose update carries the report): both are accepted, journaled and
    /// acknowledged the same way.
    case costUpdate(CostUpdateRequest)
    case verify(VerifyRequest)
    case ping

    public static let typeNames = [
        SolveRequest.typeName, SubscribeRequest.typeName, UnsubscribeRequest.typeName, CostUpdateRequest.typeName,
        CostReportRequest.typeName, VerifyRequest.typeName, "ping",
    ]

    /// Decodes one WebSocket text message. Returns the message and the client's `id` (echoed as `ref`), which is
    /// also returned (via `ClientMessageError`) when decoding fails after the id could be read, so error frames carry ref.
    public static func decode(_ text: String, limits: MatrixLimits) throws(ClientMessageError) -> (ClientMessage, ref: String?) {
        try decode(Array(text.utf8), limits: limits)
    }

    /// The same for the raw bytes of a frame, which spares a copy into a `String`.
    public static func decode(_ bytes: [UInt8], limits: MatrixLimits) throws(ClientMessageError) -> (ClientMessage, ref: String?) {
        var ref: String?
        do {
            let json = try JSONReader.parse(bytes)
            let fields = try JSONFields(json, path: "")
            ref = try readRef(fields)
            let type = try fields.required("type") { try fields.string($0) }
            let message: ClientMessage
            switch type {
            case SolveRequest.typeName: message = .solveRequest(try SolveRequest.decode(json, limits: limits))
            case SubscribeRequest.typeName: message = .subscribe(try SubscribeRequest.decode(json))
            case UnsubscribeRequest.typeName: message = .unsubscribe(try UnsubscribeRequest.decode(json))
            case CostUpdateRequest.typeName: message = .costUpdate(try CostUpdateRequest.decode(json))
            case CostReportRequest.typeName: message = .costUpdate(try CostReportRequest.decode(json))
            case VerifyRequest.typeName: message = .verify(try VerifyRequest.decode(json))
            case "ping": message = .ping
            default:
                throw SolverError(.unknownType, "unknown message type \"\(type)\"; valid types: \(typeNames.joined(separator: ", "))",
                                  field: "type")
            }
            return (message, ref)
        } catch let error as SolverError {
            throw ClientMessageError(error: error, ref: ref)
        } catch {
            throw ClientMessageError(error: SolverError(.internal, "unexpected decoding failure"), ref: ref)
        }
    }

    /// `id` may be a string or a number; numbers are echoed in their shortest form (`7`, not `7.0`).
    static func readRef(_ fields: JSONFields) throws -> String? {
        switch fields["id"] {
        case nil: return nil
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case let v?: throw fields.typeError("id", expected: "a string or a number", got: v)
        }
    }
}
