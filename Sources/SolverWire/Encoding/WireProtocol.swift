/// The protocol's version, negotiated on the WebSocket and stated in `session_created` and `subscribed`.
///
/// Within a version changes are additive only: new message types, new optional request members, new members in
/// replies and events, new error codes. Clients ignore what they do not know. Removing or renaming a member,
/// changing a meaning or a type, or making an optional request member required is a new version, served under its
/// own subprotocol (`solverd.v2`) beside the old one for at least one release. docs/protocol.md states the rules.
public enum WireProtocol {
    public static let version = 1
    /// The WebSocket subprotocol of this version.
    public static let subprotocol = "solverd.v\(version)"
    /// What the server selects, in preference order: `solverd` is the name before versioning (the same protocol as
    /// v1); a client that offers none gets v1.
    public static let subprotocols = [subprotocol, "solverd"]
}
