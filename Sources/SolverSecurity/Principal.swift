/// Who a request acts for: a static token's principal or a JWT's subject, with its roles.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var roles: Set<String>

    public init(name: String, roles: Set<String> = []) {
        self.name = name
        self.roles = roles
    }

    /// Everyone in open mode (no auth configured): may do everything.
    public static let anonymous = Principal(name: "anonymous", roles: [Principal.adminRole])

    /// The role that may read and change every session.
    public static let adminRole = "admin"

    public var isAdmin: Bool { roles.contains(Self.adminRole) }

    public var description: String { name }
}
