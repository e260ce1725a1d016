import Foundation
import Testing
import JobSplitting
@testable import WMCore

/// Issue 16: a request without work names the task, the input and the list or check that emptied it.
@Suite struct NoWorkTests {
    static let dataset = "/DoubleMuon/Run2018A-v1/RAW"

    /// Blocks a (run 1, valid, at FNAL), b (run 2, only invalid files), c (run 3, valid, no replica), e (no file).
    static let catalog = CatalogDataset(name: dataset, blocks: [
        Support.block(dataset, "a", at: ["T1_US_FNAL_Disk"], files: [Support.file("/store/a1.root", run: 1, lumis: 1...4)]),
        Support.block(dataset, "b", at: ["T1_US_FNAL_Disk"], files: [Support.file("/store/b1.root", run: 2, lumis: 1...4, valid: false),
                                                                   Support.file("/store/b2.root", run: 2, lumis: 5...6, valid: false)]),
        Support.block(dataset, "c", at: [], files: [Support.file("/store/c1.root", run: 3, lumis: 1...2)]),
        Support.block(dataset, "e", at: ["T2_CH_CERN"], files: []),
    ])

    static func why(_ selection: InputSelection, requireReplica: Bool = false) -> EmptySelection? {
        catalog.emptySelection(selection, requireReplica: requireReplica)
    }

    @Test func eachListOrCheckThatEmptiesTheInputIsNamed() throws {
        let a = Self.dataset + "#a", b = Self.dataset + "#b", c = Self.dataset + "#c", e = Self.dataset + "#e"
        #expect(Self.why(InputSelection()) == nil)
        #expect(Self.why(InputSelection(blockWhitelist: [Self.dataset + "#zzz"]))?.emptiedBy == .blockWhitelist)
        #expect(Self.why(InputSelection(blockWhitelist: [a], blockBlacklist: [a])) ==
                EmptySelection(emptiedBy: .blockBlacklist, blocks: [a], narrowedBy: [.blockWhitelist]))
        #expect(Self.why(InputSelection(blockWhitelist: [e])) == EmptySelection(emptiedBy: .noFile, blocks: [e], narrowedBy: [.blockWhitelist]))
        let invalid = try #require(Self.why(InputSelection(blockWhitelist: [b])))
        #expect(invalid == EmptySelection(emptiedBy: .invalidFiles, blocks: [b], files: 2, narrowedBy: [.blockWhitelist]))
        #expect(invalid.description == "after BlockWhitelist: all 2 file(s) of block \(b) are invalid")
        let runs = try #require(Self.why(InputSelection(runWhitelist: [7, 8])))
        #expect(runs.emptiedBy == .runWhitelist && runs.runs == [1, 3] && runs.files == 2 && runs.narrowedBy == [.invalidFiles])
        #expect(runs.description.contains("RunWhitelist keeps none of run(s) 1, 3 of the 2 valid files in blocks \(a), \(c)"))
        #expect(Self.why(InputSelection(runBlacklist: [1, 3]))?.emptiedBy == .runBlacklist)
        let lumis = try #require(Self.why(InputSelection(runWhitelist: [1], lumiList: LumiList([1: [7...9]]))))
        #expect(lumis.emptiedBy == .lumiList && lumis.blocks == [a] && lumis.narrowedBy == [.invalidFiles, .runWhitelist])
        #expect(Self.why(InputSelection(blockWhitelist: [c]), requireReplica: true)?.emptiedBy == .noSite)
        #expect(Self.why(InputSelection(blockWhitelist: [c])) == nil, "with trusted site lists a block without replica runs")
        #expect(CatalogDataset(name: Self.dataset, blocks: []).emptySelection(InputSelection())?.emptiedBy == .noBlock)
    }

    @Test func theEmptySelectionAgreesWithTheSelection() {
        let blocks = Self.catalog.blocks.map(\.name)
        let selections: [InputSelection] = [
            InputSelection(), InputSelection(blockWhitelist: [blocks[1]]), InputSelection(blockBlacklist: [blocks[0], blocks[2]]),
            InputSelection(runWhitelist: [2]), InputSelection(runBlacklist: [1]), InputSelection(lumiList: LumiList([3: [2...2]])),
            InputSelection(blockWhitelist: [blocks[3]]), InputSelection(runWhitelist: [1, 3], runBlacklist: [3], lumiList: LumiList([1: [5...9]])),
        ]
        for selection in selections {
            #expect((Self.catalog.select(selection).isEmpty) == (Self.catalog.emptySelection(selection) != nil), "\(selection)")
        }
    }

    @Test func theFailCaseTemplateFailsNamingTaskInputAndList() throws {
        // ReReco_failCase whitelists one block that holds only invalid files; here DoubleMuon block b.
        let error = #expect(throws: StartPolicyError.self) {
            try Support.run("ReReco_failCase", extra: ["BlockWhitelist": .array([.string(Support.doubleMuon + "#b")])])
        }
        guard case let .noInputLeft(task, dataset, why) = try #require(error) else { Issue.record("\(String(describing: error))"); return }
        #expect(task.hasSuffix("/DataProcessing") && dataset == Support.doubleMuon)
        #expect(why.emptiedBy == .invalidFiles && why.narrowedBy == [.blockWhitelist])
        let text = try #require(error).description
        #expect(text.contains(task) && text.contains(Support.doubleMuon + "#b") && text.contains("BlockWhitelist") && text.contains("invalid"))
    }

    @Test func anEmptyACDCRecordIsNoWork() {
        let task = WorkQueuePolicyTests.generator(events: 10, firstEvent: 1, firstLumi: 1, perJob: 5, perLumi: 5)
        let record = ACDCRecord(workflow: "wf", task: "/wf/Gen", splittingAlgorithm: "EventBased", files: [])
        #expect(throws: StartPolicyError.emptyACDC(task: "/wf/Gen", workflow: "wf")) {
            try ResubmitBlockPolicy.elements(for: task, record: record, context: WorkQueuePolicyTests.context)
        }
        #expect(StartPolicyError.emptyACDC(task: "/wf/Gen", workflow: "wf").description.contains("no work"))
    }

    @Test func noEventsIsNoWork() {
        let task = WorkQueuePolicyTests.generator(events: 0, firstEvent: 1, firstLumi: 1, perJob: 5, perLumi: 5)
        #expect(throws: StartPolicyError.noEvents(task: "/wf/Gen")) {
            try MonteCarloPolicy().elements(for: task, context: WorkQueuePolicyTests.context)
        }
    }

    @Test func invalidFilesSurviveTheBulkBlockRoundTrip() throws {
        let block = Self.catalog.blocks[1]
        let context = BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_1", outputModuleLabel: "Merged", globalTag: "GT"),
                                       processingVersion: 1, acquisitionEra: "Run2018A", primaryDatasetType: "data", creationDate: 0)
        let bulk = BulkBlock(block: block, context: context)
        let json = String(decoding: try JSONEncoder().encode(bulk), as: UTF8.self)
        #expect(json.contains("\"is_file_valid\":0"))
        #expect(try CatalogBlock(bulk: JSONDecoder().decode(BulkBlock.self, from: Data(json.utf8))).files.allSatisfy { !$0.isValid })
        // A valid file carries no is_file_valid, as DBS3Upload sends it.
        #expect(!String(decoding: try JSONEncoder().encode(BulkBlock(block: Self.catalog.blocks[0], context: context)), as: UTF8.self)
                    .contains("is_file_valid"))
    }
}
