import Testing
import Foundation
import SolverWire
import Synchronization

/// Connection and exchange ids for the harness, unique in the test process like the transport's.
enum HarnessIDs {
    private static let counter = Atomic<UInt64>(1)
    static func next() -> UInt64 { counter.add(1, ordering: .relaxed).oldValue }
}

/// A wait that timed out, or a step of the harness that did not go as a test needs.
struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
}

/// Bounded polling, the harness's only way to wait: the service answers from its own queues and the session
/// scheduler's threads, and in-process there is no service thread to be woken. Checks `probe` every millisecond
/// and throws ``HarnessFailure`` naming `what` after `timeout`.
func poll<T>(_ what: @autoclosure () -> String, timeout: Duration = .seconds(10), _ probe: () throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = try probe() { return value }
        guard clock.now < deadline else { throw HarnessFailure(description: "timed out after \(timeout) waiting for \(what())") }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// A JSON body from a literal (`["session_id": id, "probe_count": 3]`).
func jsonBytes(_ object: Any) -> [UInt8] {
    // Every literal in these tests is a valid JSON object or array.
    Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

func jsonText(_ object: Any) -> String { String(decoding: jsonBytes(object), as: UTF8.self) }

/// Typed reads of wire JSON for assertions: nil when absent or of another type.
extension JSONValue {
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var double: Double? { if case .number(let d) = self { d } else { nil } }
    var int: Int? { double.flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil } }
    var seq: UInt64? { self["seq"]?.int.flatMap { UInt64(exactly: $0) } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var doubles: [Double]? { arrayElements?.compactMap(\.double) }
    var ints: [Int]? { arrayElements?.compactMap(\.int) }
    /// The `type` member every message and event carries.
    var type: String? { self["type"]?.string }
}

/// Asserts an error response: status, JSON content type, code, a message, and the field when given.
func expectError(_ response: TestResponse, _ status: Int, _ code: String, field: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
    #expect(response.headers["content-type"] == "application/json", sourceLocation: sourceLocation)
    #expect(response.error?["code"]?.string == code, "\(response)", sourceLocation: sourceLocation)
    #expect(response.error?["message"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(response.error?["field"]?.string == field, "\(response)", sourceLocation: sourceLocation)
}
