import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import Agent
@testable import WMCore

/// A clock the test moves forward: real time plus an offset.
final class OffsetClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Double = 0

    /// Real time plus the offset.
    func now() -> Double { lock.withLock { WallClock.now() + offset } }

    /// Moves the clock `seconds` forward.
    func advance(_ seconds: Double) { lock.withLock { offset += seconds } }
}

/// Issue 19 item 5: `OpenRunningTimeout` keeps a request's work open for new data: a block imported while it runs is
/// processed too; after the timeout without new data the request closes and completes; a block imported later is not
/// picked up.
@Suite struct EndToEndOpenRunningTests {
    static let input = "/OpenData/Era2026-raw-v1/RAW"

    /// Imports block `index` of the input: run 1, lumis `lumis`, 10 events each, in two files at T2_CH_CERN.
    static func importBlock(_ agent: EndToEndAgent, index: Int, lumis: ClosedRange<Int>) throws {
        let half = lumis.lowerBound + lumis.count / 2
        let base = "/store/data/Era2026/OpenData/RAW/raw-v1/0000\(index)"
        try EndToEndPileupTemplateTests.importBlock(
            agent, block: input + "#00000000-0000-4000-8000-00000000000\(index)", pnn: "T2_CH_CERN",
            files: [(lfn: base + "/a.root", run: 1, lumis: lumis.lowerBound...(half - 1), perLumi: 10, parents: []),
                    (lfn: base + "/b.root", run: 1, lumis: half...lumis.upperBound, perLumi: 10, parents: [])],
            firstEvent: (lumis.lowerBound - 1) * 10 + 1)
    }

    @Test func anOpenReRecoPicksUpABlockImportedWhileItRunsAndClosesAfterItsTimeout() throws {
        let agent = try EndToEndAgent("open-running")
        defer { agent.killLeftovers() }
        let clock = OffsetClock()
        let base = agent.context
        let context = StageContext(spool: agent.spool, options: base.options, log: base.log, now: { clock.now() })
        func runUntilQuiet() throws {
            _ = try AgentRunner(stages: agent.stages(), stallTimeout: 60).run(context: context, watch: false)
        }
        try Self.importBlock(agent, index: 1, lumis: 1...4)
        let configID = try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}, "description": "open"}"#)
        let timeout = 30
        let request: [String: Any] = [
            "createRequest": ["RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_open", "Campaign": "Demo2026",
                              "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_dataRun3_v1",
                              "AcquisitionEra": "Demo2026", "ProcessingString": "open", "ProcessingVersion": 1,
                              "InputDataset": Self.input, "ConfigCacheID": configID, "OpenRunningTimeout": timeout,
                              "SplittingAlgo": "LumiBased", "LumisPerJob": 2, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000],
            "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN"], "AcquisitionEra": "Demo2026",
                              "ProcessingString": "open", "ProcessingVersion": 1, "MergedLFNBase": "/store/data"],
        ]
        let name = try agent.submit(request)
        try runUntilQuiet()
        // Block 1 ran; the work is open: the request stays running-open and the workflow is not declared injected.
        #expect(agent.status(of: name) == "running-open")
        #expect(!WMBSStore(spool: agent.spool).isInjected(name))
        #expect(try ElementStore(spool: agent.spool).elements(ofRequest: name).allSatisfy(\.openForNewData))

        // A second block arrives while the request is open: it gets an element and runs.
        try Self.importBlock(agent, index: 2, lumis: 5...8)
        try runUntilQuiet()
        let elements = try ElementStore(spool: agent.spool).elements(ofRequest: name)
        // Both blocks' processing jobs ran (8 lumis at 2 a job); the merges wait for the work to close.
        #expect(elements.count == 2 && elements.allSatisfy { $0.state == .running && $0.openForNewData }, "\(elements.map(\.state))")
        #expect(try agent.archivedJobs(of: name).filter { $0.taskType == "Processing" }.count == 4)
        #expect(agent.status(of: name) == "running-open")

        // OpenRunningTimeout seconds without new data: the work closes and the request completes.
        clock.advance(Double(timeout + 1))
        try runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        let output = try #require(try agent.datasets().subtracting([Self.input]).first)
        #expect(try agent.datasets() == [Self.input, output])
        let lumis = try agent.wmctlOK(["catalog", "lumis", output]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lumis == "run 1: 1 2 3 4 5 6 7 8", "both blocks' lumis, once")
        let events = try agent.events(in: output)
        #expect(events.sorted() == (1...80).map { CatalogEvent(run: 1, lumi: ($0 - 1) / 10 + 1, event: $0) }, "every event once")
        #expect(agent.lines.text.contains("work closed for new data"))

        // A block imported after the work closed is not picked up.
        try Self.importBlock(agent, index: 3, lumis: 9...10)
        clock.advance(1)
        try runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        #expect(try ElementStore(spool: agent.spool).elements(ofRequest: name).count + (try ElementStore(spool: agent.spool)
            .archivedElements(ofRequest: name).count) == 2)
        #expect(try agent.events(in: output).count == 80)
        agent.expectClean()
    }
}
