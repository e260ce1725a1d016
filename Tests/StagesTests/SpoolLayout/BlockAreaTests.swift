import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Operator
@testable import Stages
@testable import WMCore

/// Issue 18: the DBS buffer's blocks (`dbsbuffer/blocks/<State>/<uuid>.json`) are an area of the operator
/// tools like requests, elements and jobs: `wmctl ls|show|status|fsck` see them, and an operator's `mv`
/// is recorded (Open → Pending closes a block early) or quarantined (any move the block table forbids).
@Suite struct BlockAreaTests {
    /// A block document holding one file, moved along the block table to `state` by `wm-dbsupload`.
    static func block(_ uuid: UUID, in state: BlockState) throws -> Annotated<BlockBody> {
        let file = DBSBufferFile(lfn: "/store/mc/Demo/GEN-SIM/v1/000/\(uuid.uuidString.prefix(8)).root", dataset: "/Demo/Era-v1/GEN-SIM",
                                 location: "T2_CH_CERN", size: 1000, events: 100, adler32: "0000abcd", cksum: "1", lumis: [],
                                 parents: [], workflow: "wf", task: "/wf/Gen", outputModule: "RAWSIMoutput", release: "CMSSW_14_0_0",
                                 globalTag: "GT", prepID: nil, insertTime: 1000)
        var body = BlockBody(for: file, uuid: uuid, at: 1000)
        body.add(file)
        var doc = Annotated(body)
        for (i, next) in [BlockState.open, .pending, .inDBS, .closed].prefix(while: { $0 != state }).enumerated() {
            try doc.transition(to: next.successors.first!, actor: "wm-dbsupload", reason: "setup", at: 1001 + Double(i))
        }
        #expect(doc.state == state)
        return doc
    }

    /// A spool as `wmagent init` makes it, with one block Open, one Pending and one Closed; their names in that order.
    static func agentWithBlocks(_ label: String) throws -> (agent: EndToEndAgent, open: String, pending: String, closed: String) {
        let agent = try EndToEndAgent("blocks-" + label)
        let blocks = DBSUploadStage.blockArea(agent.spool)
        try blocks.ensureFolders()
        var names: [String] = []
        for state in [BlockState.open, .pending, .closed] {
            let doc = try block(UUID(), in: state)
            try agent.spool.publish(try blocks.encode(doc), as: blocks.fileName(doc.name), in: blocks.folder(state))
            names.append(doc.name)
        }
        return (agent, names[0], names[1], names[2])
    }

    @Test func lsShowAndStatusSeeBlocksPerState() throws {
        let (agent, open, pending, closed) = try Self.agentWithBlocks("see")
        #expect(try agent.wmctlOK(["ls", "dbsbuffer/blocks/Open"]) == open + "\n")
        #expect(try agent.wmctlOK(["ls", "dbsbuffer/blocks/Pending/"]) == pending + "\n", "a trailing slash (shell completion) is fine")
        #expect(try agent.wmctlOK(["ls", "dbsbuffer/blocks/InDBS"]) == "")
        #expect(try agent.wmctlOK(["ls", "dbsbuffer/blocks/Closed", "--json"]).contains("\"\(closed)\""))
        for wrong in ["dbsbuffer/blocks", "dbsbuffer/blocks/open", "dbsbuffer/Open", "blocks/Open", "dbsbuffer/blocks/Open/x"] {
            let (code, out) = agent.wmctl(["ls", wrong])
            #expect(code == 64, "wmctl ls \(wrong)")
            #expect(out.stderr.contains("dbsbuffer/blocks"), "the error names the areas, blocks included: \(out.stderr)")
        }

        let shown = try agent.wmctlOK(["show", pending])
        #expect(shown.hasPrefix("dbsbuffer/blocks/Pending/\(pending).json\nrecorded state: Pending\nhistory:\n"))
        #expect(shown.contains("none → Open  by wm-dbsupload: new block") && shown.contains("Open → Pending  by wm-dbsupload: setup"))
        #expect(shown.contains("\"state\" : \"Pending\""))
        #expect(shown.contains("\"blockName\" : \"/Demo/Era-v1/GEN-SIM#\(pending)\""), "slashes as written, not \\/")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(agent.wmctlOK(["show", closed, "--json"]).utf8)) as? [String: Any])
        #expect(json["state"] as? String == "Closed")

        let status = try agent.wmctlOK(["status"])
        #expect(status.contains("dbsbuffer/blocks: Open=1 Pending=1 Closed=1\n"), "status: \(status)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(agent.wmctlOK(["status", "--json"]).utf8)) as? [String: Any])
        let areas = try #require(object["areas"] as? [String: [String: Int]])
        #expect(areas["dbsbuffer/blocks"] == ["Open": 1, "Pending": 1, "InDBS": 0, "Closed": 1, "corrupt": 0])
        #expect(try agent.wmctlOK(["fsck"]) == "fsck: clean\n")
    }

    @Test func operatorClosingABlockEarlyIsRecordedAndAnIllegalMoveQuarantined() throws {
        let (agent, open, _, closed) = try Self.agentWithBlocks("moves")
        let spool = agent.spool
        #expect(try spool.move(open + ".json", from: "dbsbuffer/blocks/Open", to: "dbsbuffer/blocks/Pending") == .moved)  // the operator's mv
        #expect(try spool.move(closed + ".json", from: "dbsbuffer/blocks/Closed", to: "dbsbuffer/blocks/Open") == .moved)  // illegal

        let (code, out) = agent.wmctl(["fsck"])
        #expect(code == 65)
        #expect(out.stdout.contains("state-mismatch dbsbuffer/blocks/Pending/\(open).json: recorded state 'Open' but found in 'Pending/'"))
        #expect(out.stdout.contains("state-mismatch dbsbuffer/blocks/Open/\(closed).json: recorded state 'Closed' but found in 'Open/'"))
        let (dryCode, dry) = agent.wmctl(["fsck", "--repair", "--dry-run"])
        #expect(dryCode == 65 && dry.stdout.contains("fsck: dry run: nothing repaired"))
        #expect(SystemCall.exists(spool.path("dbsbuffer/blocks/Open/\(closed).json")), "--dry-run changes nothing")

        let repaired = try agent.wmctlOK(["fsck", "--repair"])
        #expect(repaired.contains("dbsbuffer/blocks/Pending/\(open).json: recorded state 'Open' but found in 'Pending/' [repair: recorded]"))
        #expect(repaired.contains("dbsbuffer/blocks/Open/\(closed).json: recorded state 'Closed' but found in 'Open/' [repair: quarantined: "))
        #expect(try agent.wmctlOK(["fsck"]) == "fsck: clean\n")

        let shown = try agent.wmctlOK(["show", open])
        #expect(shown.hasPrefix("dbsbuffer/blocks/Pending/\(open).json\nrecorded state: Pending\n"))
        #expect(shown.contains("Open → Pending  by operator: found in Pending/"))
        let reason = try String(contentsOfFile: spool.path("dbsbuffer/blocks/corrupt/\(closed).json.reason"), encoding: .utf8)
        #expect(reason.contains("the BlockState table does not allow Closed → Open"), "reason: \(reason)")
        #expect(try agent.wmctlOK(["ls", "dbsbuffer/blocks/corrupt"]).contains(closed))
        #expect(try agent.wmctlOK(["status"]).contains("dbsbuffer/blocks: Pending=2 corrupt=1\n"), "the quarantined block (its reason is no document)")
        #expect(agent.wmctl(["show", closed]).code == 66, "a quarantined block is in no state folder")
    }

    @Test func theBlocksOfAProductionAreListedCountedAndClean() throws {
        let agent = try EndToEndAgent("blocks-production")
        _ = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        try agent.runUntilQuiet()
        var onDisk: [String: [String]] = [:]
        for state in BlockState.allCases {
            onDisk[state.rawValue] = try FileManager.default.contentsOfDirectory(atPath: agent.spool.path("dbsbuffer/blocks/" + state.rawValue))
                .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        }
        let closed = try #require(onDisk["Closed"], "blocks/Closed exists")
        try #require(!closed.isEmpty, "the production's blocks are uploaded and closed: \(onDisk)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(agent.wmctlOK(["status", "--json"]).utf8)) as? [String: Any])
        let counts = try #require((status["areas"] as? [String: [String: Int]])?["dbsbuffer/blocks"])
        for state in BlockState.allCases {
            let listed = try agent.wmctlOK(["ls", "dbsbuffer/blocks/" + state.rawValue]).split(separator: "\n").map(String.init)
            #expect(listed == onDisk[state.rawValue], "wmctl ls dbsbuffer/blocks/\(state.rawValue)")
            #expect(counts[state.rawValue] == onDisk[state.rawValue]?.count, "status --json counts \(state.rawValue)")
        }
        let shown = try agent.wmctlOK(["show", closed[0]])
        #expect(shown.hasPrefix("dbsbuffer/blocks/Closed/\(closed[0]).json\nrecorded state: Closed\n"))
        #expect(shown.contains("InDBS → Closed  by wm-rucioinjector"))
        #expect(try SpoolInspector(spool: agent.spool).fsck(repair: false).filter { $0.kind != "orphan-temporary" }.isEmpty)
    }
}
