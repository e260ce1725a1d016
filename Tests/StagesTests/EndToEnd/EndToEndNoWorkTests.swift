import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 16: a request whose input yields no work ends in `failed` — never in `reqmgr/corrupt/` — with the
/// task, the input and what emptied it recorded for the requestor and shown by `wmctl request show` and `ls`.
@Suite struct EndToEndNoWorkTests {
    static let dataset = "/DoubleMuon/Run2018A-v1/RAW"
    /// The block ReReco_failCase whitelists.
    static let failCaseBlock = dataset + "#7bb3cd63-f1a9-4a76-bd89-ccdd81af526a"

    /// Imports a block of `files` files of run 316877 at T2_CH_CERN through `wmctl catalog import`.
    static func importBlock(_ agent: EndToEndAgent, _ name: String, files: Int, valid: Bool) throws {
        let lfnBase = "/store/data/Run2018A/DoubleMuon/RAW/v1/000/316/877/00000/" + String(name.suffix(8))
        let block = CatalogBlock(name: name, locations: ["T2_CH_CERN"], files: (1...files).map { n in
            CatalogFile(lfn: "\(lfnBase)-\(n).root", size: 1000, events: 100, adler32: "00000001", cksum: "1",
                        lumis: [LumiSection(run: 316877, lumi: n)], isValid: valid)
        })
        let bulk = BulkBlock(block: block, context: BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_10_2_4_patch1",
                                                                                         outputModuleLabel: "Merged", globalTag: "GT"),
                                                                      processingVersion: 1, acquisitionEra: "Run2018A",
                                                                      primaryDatasetType: "data", creationDate: 0))
        let file = agent.spool.path("block-\(UUID().uuidString.prefix(8)).json")
        try JSONEncoder().encode(bulk).write(to: URL(fileURLWithPath: file))
        #expect(try agent.wmctlOK(["catalog", "import", file]).hasPrefix("imported"))
    }

    /// The request failed with a reason holding every fragment, shown by `show` (text and JSON) and `ls` (text and
    /// JSON); nothing went to `reqmgr/corrupt/`, no element of it is left in the queue, and fsck is clean.
    static func expectFailed(_ agent: EndToEndAgent, _ name: String, reasonContains fragments: [String],
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(agent.status(of: name) == "failed", sourceLocation: sourceLocation)
        let show = try agent.wmctlOK(["request", "show", name])
        let reasonLine = try #require(show.split(separator: "\n").first { $0.hasPrefix("reason: ") }, "show: \(show)", sourceLocation: sourceLocation)
        for fragment in fragments { #expect(reasonLine.contains(fragment), "\(reasonLine) lacks \(fragment)", sourceLocation: sourceLocation) }
        #expect(show.contains("staged → failed  by wm-workqueue: " + reasonLine.dropFirst("reason: ".count)), sourceLocation: sourceLocation)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(try agent.wmctlOK(["request", "show", name, "--json"]).utf8)) as? [String: Any])
        #expect(json["status"] as? String == "failed", sourceLocation: sourceLocation)
        let reason = try #require(json["reason"] as? String, sourceLocation: sourceLocation)
        #expect("reason: " + reason == reasonLine, sourceLocation: sourceLocation)
        let history = try #require(json["history"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(history.suffix(3).map { $0["to"] as? String } == ["staging", "staged", "failed"], sourceLocation: sourceLocation)
        #expect(history.last?["reason"] as? String == reason, sourceLocation: sourceLocation)

        let ls = try agent.wmctlOK(["request", "ls"])
        #expect(ls.contains("\(name)  failed  ") && ls.contains("reason: " + reason), "ls: \(ls)", sourceLocation: sourceLocation)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(try agent.wmctlOK(["request", "ls", "--json"]).utf8)) as? [[String: Any]])
        let row = try #require(rows.first { $0["name"] as? String == name }, sourceLocation: sourceLocation)
        #expect(row["status"] as? String == "failed" && row["reason"] as? String == reason, sourceLocation: sourceLocation)

        let corrupt = (try? FileManager.default.contentsOfDirectory(atPath: agent.spool.path("reqmgr/corrupt"))) ?? []
        #expect(corrupt.isEmpty, "reqmgr/corrupt/: \(corrupt)", sourceLocation: sourceLocation)
        #expect(try ElementStore(spool: agent.spool).elements(ofRequest: name).isEmpty, sourceLocation: sourceLocation)
        agent.expectClean(sourceLocation: sourceLocation)
    }

    @Test func reRecoOfABlockWithOnlyInvalidFilesFails() throws {
        let agent = try EndToEndAgent("nowork-invalid")
        defer { agent.killLeftovers() }
        let block = Self.dataset + "#0a0a0a0a-1111-2222-3333-444455556666"
        try Self.importBlock(agent, block, files: 3, valid: false)
        let configID = try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}}"#)
        let name = try agent.submit([
            "createRequest": ["RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_invalid", "Campaign": "Demo2026",
                              "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_dataRun3_v1",
                              "AcquisitionEra": "Demo2026", "ProcessingString": "rereco", "ProcessingVersion": 1,
                              "InputDataset": Self.dataset, "ConfigCacheID": configID,
                              "SplittingAlgo": "LumiBased", "LumisPerJob": 2, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000],
            "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN"], "AcquisitionEra": "Demo2026",
                              "ProcessingString": "rereco", "ProcessingVersion": 1, "MergedLFNBase": "/store/data"],
        ])
        // An element a crashed earlier run published for the request: it must not be left behind.
        let store = ElementStore(spool: agent.spool)
        try store.ensureFolders()
        let stale = ElementBody(requestName: name, taskName: "/\(name)/DataProcessing", startPolicy: "Block",
                                inputs: [block: ["T2_CH_CERN"]], jobs: 1, priority: 1, creationTime: 0, teamName: "production")
        try agent.spool.inBatch { batch in
            try batch.publish(try store.area.encode(ElementDocument(stale)), as: store.area.fileName(stale.name), in: store.area.folder(.available))
        }
        try agent.runUntilQuiet()
        try Self.expectFailed(agent, name, reasonContains: ["task /\(name)/DataProcessing", "input dataset \(Self.dataset)", "no work",
                                                            "all 3 file(s) of block \(block) are invalid"])
        let archived = try store.archivedElements(ofRequest: name)
        #expect(archived.map(\.state) == [.canceled] && archived.first?.history.last?.reason == "request failed")
        #expect(try agent.datasets() == [Self.dataset], "no output dataset")
    }

    @Test func reqMgrFailCaseTemplateFails() throws {
        let agent = try EndToEndAgent("nowork-failcase")
        defer { agent.killLeftovers() }
        // The whitelisted block holds only invalid files; another block of the dataset is valid but not whitelisted.
        try Self.importBlock(agent, Self.failCaseBlock, files: 2, valid: false)
        try Self.importBlock(agent, Self.dataset + "#1b1b1b1b-1111-2222-3333-444455556666", files: 2, valid: true)
        for (id, text) in [("573976a90ba04b7a9dbdd98e43ffcc9d", #"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}, "AODoutput": {"dataTier": "AOD", "filterName": ""}}}"#),
                           ("573976a90ba04b7a9dbdd98e43fcfeea", #"{"outputModules": {}}"#)] {
            try agent.addConfig(text, id: id)
        }
        let template = TestSupport.packageRoot + "/Tests/WMCoreTests/Fixtures/ReReco_failCase.json"
        let name = try agent.wmctlOK(["request", "submit", template, "--assign", "--set", "Team=production",
                                      "--set", "SiteWhitelist=T2_CH_CERN", "--set", "AcquisitionEra=Run2018A",
                                      "--set", "ProcessingString=TEST", "--set", "Campaign=Test", "--set", "RequestString=failcase",
                                      "--set", "Dashboard=production"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        try Self.expectFailed(agent, name, reasonContains: ["task /\(name)/DataProcessing", "input dataset \(Self.dataset)",
                                                            "after BlockWhitelist", "all 2 file(s) of block \(Self.failCaseBlock) are invalid"])
        #expect(try ElementStore(spool: agent.spool).archivedElements(ofRequest: name).isEmpty, "no element was ever made")
    }
}
