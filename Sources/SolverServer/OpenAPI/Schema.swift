/// JSON Schema 2020-12 (OpenAPI 3.1) pieces for the API description, so each schema is one readable line.
enum Schema {
    static func ref(_ name: String) -> SpecNode { ["$ref": .string("#/components/schemas/\(name)")] }

    static func object(_ properties: [(String, SpecNode)], required: [String] = [], description: String? = nil) -> SpecNode {
        var members: [(String, SpecNode)] = [("type", "object")]
        if let description { members.append(("description", .string(description))) }
        members.append(("properties", .object(properties)))
        if !required.isEmpty { members.append(("required", .array(required.map(SpecNode.string)))) }
        return .object(members)
    }

    /// An object with a fixed `type` member naming it, as every server frame and reply has.
    static func message(_ type: String, _ properties: [(String, SpecNode)], required: [String] = [],
                        description: String? = nil) -> SpecNode {
        object([("type", constant(type))] + properties, required: ["type"] + required, description: description)
    }

    /// A request object as the server reads it: an optional member may also be `null`, which counts as absent.
    static func request(_ properties: [(String, SpecNode)], required: [String] = [], description: String? = nil) -> SpecNode {
        let lenient = properties.map { name, schema in
            required.contains(name) ? (name, schema) : (name, ["anyOf": [schema, ["type": "null"]]] as SpecNode)
        }
        return object(lenient, required: required, description: description)
    }

    static func constant(_ value: String) -> SpecNode { ["type": "string", "const": .string(value)] }

    static func string(_ description: String? = nil, oneOf values: [String]? = nil, pattern: String? = nil,
                       format: String? = nil, minLength: Int? = nil) -> SpecNode {
        typed("string", description, [("minLength", minLength.map(SpecNode.int)), ("enum", values.map { .array($0.map(SpecNode.string)) }),
                                      ("pattern", pattern.map(SpecNode.string)), ("format", format.map(SpecNode.string))])
    }

    /// `{"type": type, "description"?, …constraints}`, leaving out the constraints that are nil.
    static func typed(_ type: SpecNode, _ description: String?, _ constraints: [(String, SpecNode?)] = []) -> SpecNode {
        var members: [(String, SpecNode)] = [("type", type)]
        if let description { members.append(("description", .string(description))) }
        members += constraints.compactMap { key, value in value.map { (key, $0) } }
        return .object(members)
    }

    static func integer(_ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil) -> SpecNode {
        typed("integer", description, [("minimum", minimum.map(SpecNode.int)), ("maximum", maximum.map(SpecNode.int))])
    }

    /// A count or sequence number (never negative).
    static func count(_ description: String? = nil) -> SpecNode { integer(description, minimum: 0) }

    /// A measured real number. The server writes NaN and ±∞, which JSON cannot express, as `null`.
    static func real(_ description: String? = nil) -> SpecNode { typed(["number", "null"], description) }

    /// A number a client sends: finite, optionally bounded (exclusive bounds, as the server checks them).
    static func number(_ description: String? = nil, above: Double? = nil, below: Double? = nil) -> SpecNode {
        typed("number", description, [("exclusiveMinimum", above.map(SpecNode.number)),
                                       ("exclusiveMaximum", below.map(SpecNode.number))])
    }

    static func boolean(_ description: String? = nil) -> SpecNode { typed("boolean", description) }

    static func array(_ items: SpecNode, description: String? = nil, minItems: Int? = nil) -> SpecNode {
        typed("array", description, [("items", items), ("minItems", minItems.map(SpecNode.int))])
    }

    static func oneOf(_ alternatives: [SpecNode], description: String? = nil) -> SpecNode {
        var members: [(String, SpecNode)] = []
        if let description { members.append(("description", .string(description))) }
        members.append(("oneOf", .array(alternatives)))
        return .object(members)
    }

    /// Index arrays: non-negative integers.
    static let indices = array(integer(minimum: 0))
    static let reals = array(real())
    static let numbers = array(number())
    static let sessionID = ref("SessionID")
    static let seq = count("A sequence number of the session's event log.")
    static let timestamp = string("ISO-8601 time, UTC, milliseconds.", format: "date-time")
}
