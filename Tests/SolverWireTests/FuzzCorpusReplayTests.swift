import Foundation
import Testing
import SolverCore
import SolverWire

/// Replays the committed fuzz corpus (`fuzz/corpus/<target>/`, see `fuzz/run.sh`) through the decoders the
/// libFuzzer targets drive, without the fuzzer: every file must decode or fail with a `SolverError` (never trap,
/// never `internal`), and every file not named `valid-*` must fail. Minimized crash reproducers are named `crash-*`.
@Suite struct FuzzCorpusReplayTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus")

    static func files(_ target: String) -> [URL] {
        let directory = corpusRoot.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Decodes like `fuzz/Targets/<target>.swift`; returns the `SolverError`, or nil when the input was accepted.
    static func decode(_ target: String, _ input: [UInt8]) throws -> SolverError? {
        do {
            switch target {
            case "client-message":
                do { _ = try ClientMessage.decode(input, limits: MatrixLimits()) } catch { throw error.error }
            case "solve-request":
                let body = Array(#"{"type":"solve_request","vector":[1,2,3],"matrix":"#.utf8) + input + [UInt8(ascii: "}")]
                _ = try SolveRequest.decode(JSONReader.parse(body), limits: MatrixLimits())
            default:
                guard let first = input.first else { throw SolverError(.empty, "no input") }
                var reader = MatrixMarketReader()
                let chunk = 1 + Int(first % 64)
                for start in stride(from: 1, to: input.count, by: chunk) {
                    try reader.feed(bytes: input[start..<min(start + chunk, input.count)])
                }
                var vectorReader = reader
                _ = try? vectorReader.finishVector()
                _ = try reader.finish()
            }
            return nil
        } catch let error as SolverError {
            return error
        }
    }

    @Test(arguments: ["client-message", "solve-request", "matrix-market"])
    func replay(target: String) throws {
        let files = Self.files(target)
        #expect(files.count >= 10, "corpus for \(target) missing at \(Self.corpusRoot.path)")
        for file in files {
            let input = try [UInt8](Data(contentsOf: file))
            let error = try Self.decode(target, input)
            let name = file.lastPathComponent
            if name.hasPrefix("valid-") {
                #expect(error == nil, "\(target)/\(name): \(String(describing: error))")
            } else {
                #expect(error != nil, "\(target)/\(name) was accepted")
            }
            #expect(error?.code != .internal, "\(target)/\(name): \(String(describing: error))")
        }
    }
}
