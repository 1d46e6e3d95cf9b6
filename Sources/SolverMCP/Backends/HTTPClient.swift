import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SolverCore
import SolverWire

/// The few HTTP calls `HTTPSessionBackend` makes to a solverd server: JSON requests answered whole, and NDJSON
/// event streams read line by line as they arrive. Error envelopes come back as the `SolverError` they carry, so a
/// tool error names the same code and field whether the session is local or remote.
struct HTTPClient: Sendable {
    let base: URL
    let token: String?
    private let session = URLSession(configuration: .ephemeral)

    init(base: URL, token: String?) {
        self.base = base
        self.token = token
    }

    func request(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
                 timeout: TimeInterval = 60) -> URLRequest {
        var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        var request = URLRequest(url: components.url!, timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            var w = JSONWriter()
            w.value(body)
            request.httpBody = Data(w.bytes)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return request
    }

    /// Sends a request and returns the parsed JSON body of a 2xx answer; other answers throw their error.
    func json(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws -> (JSONValue, [UInt8]) {
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.data(for: request(method, path, query: query, body: body))
        } catch {
            throw unreachable(error)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let bytes = [UInt8](data)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: bytes) }
        guard let json = try? JSONReader.parse(bytes) else {
            throw SolverError(.internal, "the server at \(base) answered \(status) with a body that is not JSON", field: nil)
        }
        return (json, bytes)
    }

    /// Opens a streamed request; read `events` until the answer you wait for, then `cancel()`.
    func stream(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) -> HTTPLineStream {
        HTTPLineStream(request: request(method, path, query: query, body: body, timeout: 3600), client: self)
    }

    func unreachable(_ error: any Error) -> SolverError {
        SolverError(.ownerUnavailable, "cannot reach the solverd server at \(base): \(error.localizedDescription)", field: nil)
    }

    /// The `SolverError` of an error envelope (`{"error":{code,message,field}}` or an `error` record).
    static func error(status: Int, body: [UInt8]) -> SolverError {
        guard let json = try? JSONReader.parse(body) else {
            return SolverError(.internal, "the server answered \(status): \(String(decoding: body.prefix(200), as: UTF8.self))", field: nil)
        }
        return error(record: json["error"] ?? json, status: status)
    }

    static func error(record: JSONValue, status: Int) -> SolverError {
        guard case .string(let code)? = record["code"], case .string(let message)? = record["message"] else {
            return SolverError(.internal, "the server answered \(status) without an error code", field: nil)
        }
        let field: String? = if case .string(let f)? = record["field"] { f } else { nil }
        return SolverError(SolverError.Code(rawValue: code) ?? .internal, message, field: field)
    }
}

/// One streamed response: `.head(status)` first, then each line of the body as it arrives.
final class HTTPLineStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Event: Sendable {
        case head(Int)
        case line([UInt8])
    }

    let events: AsyncThrowingStream<Event, any Error>
    private let sink: AsyncThrowingStream<Event, any Error>.Continuation
    private let client: HTTPClient
    /// Touched only on the delegate queue, which is serial.
    private var pending: [UInt8] = []
    private var session: URLSession?

    init(request: URLRequest, client: HTTPClient) {
        (events, sink) = AsyncThrowingStream.makeStream(of: Event.self)
        self.client = client
        super.init()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: queue)
        self.session = session
        session.dataTask(with: request).resume()
    }

    /// Ends the request (the server sees the client leave and unsubscribes).
    func cancel() {
        session?.invalidateAndCancel()
        sink.finish()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        sink.yield(.head((response as? HTTPURLResponse)?.statusCode ?? 0))
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        pending.append(contentsOf: data)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if !line.isEmpty { sink.yield(.line(line)) }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if !pending.isEmpty { sink.yield(.line(pending)) }
        pending = []
        if let error, (error as? URLError)?.code != .cancelled {
            sink.finish(throwing: client.unreachable(error))
        } else {
            sink.finish()
        }
        session.finishTasksAndInvalidate()
    }
}
