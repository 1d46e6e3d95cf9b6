/// solverd's release number, written only here: `solverd --version`, `GET /api/v1/status` and the MCP server's
/// `serverInfo` read it. The git commit is baked into the solverd executable by Plugins/GitCommit.
public enum SolverdVersion {
    public static let number = "0.3.0"
}
