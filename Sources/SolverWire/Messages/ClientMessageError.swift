import SolverCore

/// A message that could not be decoded, with the client's `id` when it could be read, so the `error` frame can
/// carry it as `ref` and the client can match the error to its request.
public struct ClientMessageError: Error, Sendable {
    public var error: SolverError
    public var ref: String?

    public init(error: SolverError, ref: String?) {
        self.error = error
        self.ref = ref
    }
}
