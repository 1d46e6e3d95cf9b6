import SolverCore

/// The RFC 6455 close codes are declared in SolverCore, beside the error registry that names the code each error
/// closes a connection with (`SolverError.Code.webSocketClose`).
public typealias WebSocketCloseCode = SolverCore.WebSocketCloseCode
