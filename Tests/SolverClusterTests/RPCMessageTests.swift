import SolverCore
import SolverSecurity
import SolverServer
import Testing
@testable import SolverCluster

@Suite struct RPCMessageTests {
    @Test func requestsKeepPrincipalRolesAndBinaryBody() throws {
        let body: [UInt8] = [0, 10, 255, 81, 10]
        let request = RPCMessage.Request(req: 42, from: "node a", kind: "solution", session: "s-1",
                                         principal: Principal(name: "ann \"x\"\nb", roles: ["admin", "ops"]), body: body)
        guard case .request(let back)? = RPCMessage.decode(RPCMessage.request(request).encode()) else {
            Issue.record("not decoded as a request")
            return
        }
        #expect(back.req == 42 && back.from == "node a" && back.kind == "solution" && back.session == "s-1")
        #expect(back.principal == request.principal && back.body == body)
    }

    @Test func repliesCarryBodiesAndErrorsWithTheirField() throws {
        guard case .reply(7, .success(let body))? = RPCMessage.decode(RPCMessage.reply(req: 7, .success([1, 10, 2])).encode()) else {
            Issue.record("not decoded as a success")
            return
        }
        #expect(body == [1, 10, 2])
        let error = SolverError(.indexOutOfRange, "'9' is not an index in 0..<4", field: "indices[1]")
        guard case .reply(8, .failure(let back))? = RPCMessage.decode(RPCMessage.reply(req: 8, .failure(error)).encode()) else {
            Issue.record("not decoded as a failure")
            return
        }
        #expect(back == error && back.field == "indices[1]")
    }

    @Test func strayMessagesAreIgnored() {
        #expect(RPCMessage.decode([]) == nil)
        #expect(RPCMessage.decode(Array("Q{not json}\n".utf8)) == nil)
        #expect(RPCMessage.decode(Array("R x ok\n".utf8)) == nil)
        #expect(RPCMessage.decode(Array("U 1 n s p\n".utf8)) == nil)
    }

    @Test(arguments: [RemoteQuery.status, .solution(indices: nil), .solution(indices: "1, 2,x"), .solution(indices: ""),
                      .verify(probeCount: nil, indices: nil), .verify(probeCount: 5, indices: [0, 3])])
    func queriesRoundTrip(_ query: RemoteQuery) {
        let (kind, body) = QueryRelay.encode(query)
        #expect(QueryRelay.decode(kind, body) == query)
    }
}
