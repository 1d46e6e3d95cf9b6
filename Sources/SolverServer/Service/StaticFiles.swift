import Foundation
import SolverCore

/// Read-only files for the dashboard (`/` → `dashboardDirectory/index.html`) and mounted directories such as
/// Debian's `/usr/share/javascript` for chart libraries. Paths with `..`, hidden components or NUL are refused, and
/// resolved paths must stay inside their root (symbolic links included).
extension SolverService {
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "json": "application/json", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
        "txt": "text/plain; charset=utf-8", "map": "application/json",
    ]

    func serveStatic(_ request: HTTPRequest, _ reply: Reply) throws {
        var candidates: [(root: String, relative: String)] = []
        for mount in configuration.staticMounts where request.path.hasPrefix(mount.prefix) {
            candidates.append((mount.directory, String(request.path.dropFirst(mount.prefix.count))))
        }
        if let dashboard = configuration.dashboardDirectory {
            let relative = request.path == "/" ? "index.html" : String(request.path.dropFirst())
            candidates.append((dashboard, relative))
        }
        for (root, relative) in candidates {
            guard let file = Self.resolve(root: root, relative: relative) else { continue }
            work.async {
                guard let data = FileManager.default.contents(atPath: file) else {
                    reply.error(SolverError(.notFound, "no file \(request.path)", field: nil))
                    return
                }
                let ext = (file as NSString).pathExtension.lowercased()
                reply.send(200, request.method == "HEAD" ? [] : [UInt8](data), headers: [
                    ("content-type", Self.contentTypes[ext] ?? "application/octet-stream"),
                    ("cache-control", "no-cache"),
                ])
            }
            return
        }
        throw SolverError(.notFound, "no endpoint or file \(request.path)", field: nil)
    }

    /// The file for `relative` under `root`, or nil when it is missing, a directory, or escapes the root.
    static func resolve(root: String, relative: String) -> String? {
        let components = relative.split(separator: "/")
        guard !components.isEmpty, !relative.contains("\0"),
              components.allSatisfy({ !$0.hasPrefix(".") }) else { return nil }
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath()
        let fileURL = rootURL.appendingPathComponent(components.joined(separator: "/")).standardizedFileURL.resolvingSymlinksInPath()
        guard fileURL.path.hasPrefix(rootURL.path + "/") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: fileURL.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return fileURL.path
    }
}
