/// Which host names and addresses denote this machine's loopback: `localhost` and `*.localhost` (RFC 6761 §6.3),
/// 127.0.0.0/8, `::1` and the IPv4-mapped `::ffff:127.x.y.z`, with or without IPv6 brackets and zone.
///
/// The test is textual on purpose: no resolver is asked, so a name an attacker controls (DNS rebinding) never
/// counts as loopback, however it resolves.
public enum Loopback {
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if let percent = name.firstIndex(of: "%") { name = String(name[..<percent]) }
        if let v4 = ipv4(name) { return v4[0] == 127 }
        guard let v6 = ipv6(name) else { return false }
        let isOne = v6[0..<15].allSatisfy { $0 == 0 } && v6[15] == 1
        let isMapped127 = v6[0..<10].allSatisfy { $0 == 0 } && v6[10] == 0xff && v6[11] == 0xff && v6[12] == 127
        return isOne || isMapped127
    }

    /// The host part of a `Host` header or URL authority: `name[:port]`, `[v6][:port]`; nil when malformed.
    public static func hostPart(ofAuthority authority: String) -> String? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            return String(authority[...close])
        }
        let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard let name = pieces.first, !name.isEmpty, pieces.count <= 2 else { return nil }
        if pieces.count == 2, !pieces[1].allSatisfy(\.isNumber) { return nil }
        return String(name)
    }

    /// Dotted-quad IPv4 (four decimal parts 0–255), or nil.
    static func ipv4(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { part -> UInt8? in
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber) else { return nil }
            return UInt8(part)
        }
        return bytes.count == 4 ? bytes : nil
    }

    /// An IPv6 literal (RFC 4291 §2.2 text forms, `::` once, an IPv4 tail allowed) as 16 bytes, or nil.
    static func ipv6(_ text: String) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, field.contains("."), let v4 = ipv4(field) { bytes += v4; continue }
                guard (1...4).contains(field.count), let value = UInt16(field, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}
