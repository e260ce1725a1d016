import Foundation
import SpoolKit
@testable import SpoolLayout
@testable import Stages
import StorageManagerReplay
import TestSupport
import Testing
import WMCore

/// Issue 20, §A.4 end to end: two replayed runs (stopped 5 s apart) are repacked by the real pipeline, then their
/// PromptReco is released by the feeder on a test clock (delay 10 s, offset 2 s) — never before stop + delay, run 1
/// before run 2, not while held, at once after resume — and runs to archived; each PromptReco dataset holds exactly
/// the events of the RAW it read, and each PromptReco request account is complete.
@Suite struct PromptRecoEndToEndTests {
    static let datasets = ["EGamma", "JetMET", "Muon"]

    /// Replays run `run` into the agent's spool.
    static func replay(_ agent: EndToEndAgent, run: Int) throws {
        let output = ReplayOutput()
        let code = ReplayCommand.run(["--spool", agent.spool.root, "--first-run", String(run), "--runs", "1", "--lumis", "4",
                                      "--instances", "2", "--events-per-file", "4", "--payload-bytes", "8", "--empty-lumis", "1",
                                      "--seed", String(run)], output: output)
        try #require(code == 0, "\(output.stderr)")
    }

    /// The feeder on the test clock, then every other stage (real clock, real jobs) until quiet.
    static func pass(_ agent: EndToEndAgent, _ clock: TestClock) throws {
        try PromptRecoReleaseFeederTests.feed(agent.spool, clock)
        try agent.runUntilQuiet()
    }

    /// Passes until `done` holds (at most `limit`, with a short pause for time-based splitters).
    static func drive(_ agent: EndToEndAgent, _ clock: TestClock, limit: Int = 20, until done: () throws -> Bool) throws {
        for _ in 0..<limit {
            try pass(agent, clock)
            if try done() { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        Issue.record("not done after \(limit) passes; last log lines:\n\(agent.lines.text.split(separator: "\n").suffix(20).joined(separator: "\n"))")
    }

    /// `(run, PD)`'s release state.
    static func state(_ agent: EndToEndAgent, run: Int, _ dataset: String) throws -> PromptRecoReleaseRecord.State? {
        try PromptRecoReleaseStore(spool: agent.spool).records(run: run).first { $0.dataset == dataset }?.state
    }

    /// The PromptReco workflows the feeder made for `run`.
    static func promptRecoWorkflows(_ agent: EndToEndAgent, run: Int) throws -> [String] {
        try agent.spool.scan(Layout.tier0Run(run).workflows).names.filter { $0.hasPrefix("PromptReco_") && !$0.hasSuffix(".closed") }.sorted()
    }

    @Test func promptRecoIsReleasedRunByRunAfterItsDelayAndReconstructsExactlyTheRAW() throws {
        let agent = try EndToEndAgent("promptreco")
        defer { agent.killLeftovers() }
        try PromptRecoReleaseFeederTests.editConfiguration(agent.spool) { object in
            object["promptReco"] = ["delay": 10, "offset": 2, "enabled": true, "recoSplit": 7]
            if var streams = object["streams"] as? [String: Any], var express = streams["Express"] as? [String: Any] {
                express["maxLatency"] = 1
                streams["Express"] = express
                object["streams"] = streams
            }
        }
        let clock = TestClock(1000)
        let (run1, run2) = (100001, 100002)
        try Self.replay(agent, run: run1)
        try PromptRecoReleaseFeederTests.feed(agent.spool, clock)       // run 1 stops at 1000
        clock.advance(5)
        try Self.replay(agent, run: run2)
        try PromptRecoReleaseFeederTests.feed(agent.spool, clock)       // run 2 stops at 1005
        // Repack and Express run to archived; their RAW reaches the catalog.
        let raw = { (pd: String) in "/\(pd)/Run2026A-v1/RAW" }
        try Self.drive(agent, clock) {
            try Self.datasets.allSatisfy { try agent.datasets().contains(raw($0)) }
                && !agent.spool.isFolder(Layout.wmbs("Repack_Run\(run2)_StreamPhysics").root)
                && !agent.spool.isFolder(Layout.wmbs("Repack_Run\(run1)_StreamPhysics").root)
        }
        for run in [run1, run2] {
            #expect(try PromptRecoReleaseStore(spool: agent.spool).records(run: run).map(\.dataset) == Self.datasets)
        }
        #expect(try PromptRecoReleaseStore(spool: agent.spool).records(run: run1).allSatisfy { $0.stopTime == 1000 && $0.state == .waiting })
        #expect(try PromptRecoReleaseStore(spool: agent.spool).records(run: run2).allSatisfy { $0.stopTime == 1005 && $0.state == .waiting })

        // 1010: run 1 is locked (1008 passed), not released (1010 not passed): no PromptReco anywhere.
        clock.advance(5)
        try Self.pass(agent, clock)
        #expect(try Self.state(agent, run: run1, "Muon") == .locked && Self.state(agent, run: run2, "Muon") == .waiting)
        #expect(try Self.promptRecoWorkflows(agent, run: run1).isEmpty && Self.promptRecoWorkflows(agent, run: run2).isEmpty)
        #expect(try !agent.datasets().contains { $0.contains("PromptReco") }, "no PromptReco before stop + delay")

        // 1011: run 1 released; run 2 (locks after 1013) waits.
        clock.advance(1)
        try Self.pass(agent, clock)
        #expect(try Self.datasets.allSatisfy { try Self.state(agent, run: run1, $0) == .released })
        #expect(try Self.datasets.allSatisfy { try Self.state(agent, run: run2, $0) == .waiting })
        #expect(try Self.promptRecoWorkflows(agent, run: run1) == Self.datasets.map { "PromptReco_Run\(run1)_\($0)" })
        #expect(try Self.promptRecoWorkflows(agent, run: run2).isEmpty)

        // Held: run 2 waits well past its time.
        try agent.wmctlOK(["t0", "hold"])
        clock.advance(100)
        try Self.drive(agent, clock) {
            Self.datasets.allSatisfy { agent.spool.contains("PromptReco_Run\(run1)_\($0).closed", in: Layout.tier0Run(run1).workflows)
                && !agent.spool.isFolder(Layout.wmbs("PromptReco_Run\(run1)_\($0)").root) }
        }
        #expect(try Self.datasets.allSatisfy { try Self.state(agent, run: run2, $0) == .waiting }, "held")
        #expect(try Self.promptRecoWorkflows(agent, run: run2).isEmpty)
        #expect(try agent.wmctlOK(["t0", "runs"]).contains("PromptReco Muon: waiting (run stopped at"))

        // Resumed: run 2 locks and is released in the next cycle, and runs to archived.
        try agent.wmctlOK(["t0", "resume"])
        try Self.drive(agent, clock) {
            Self.datasets.allSatisfy { agent.spool.contains("PromptReco_Run\(run2)_\($0).closed", in: Layout.tier0Run(run2).workflows)
                && !agent.spool.isFolder(Layout.wmbs("PromptReco_Run\(run2)_\($0)").root) }
        }
        #expect(try Self.datasets.allSatisfy { try Self.state(agent, run: run2, $0) == .released })

        // Every PromptReco tier holds exactly the RAW's events, run by run, and every account is complete.
        for pd in Self.datasets {
            let input = try agent.events(in: raw(pd))
            #expect(!input.isEmpty)
            for tier in ["AOD", "MINIAOD", "DQMIO"] {
                let output = try agent.events(in: "/\(pd)/Run2026A-PromptReco-v1/\(tier)")
                #expect(output.sorted() == input.sorted(), "\(pd) \(tier): \(output.count) events for \(input.count) RAW events")
            }
            for run in [run1, run2] {
                let account = try #require(try RequestAccounting(spool: agent.spool).stored("PromptReco_Run\(run)_\(pd)"))
                #expect(account.isAccepted, "PromptReco_Run\(run)_\(pd): \(account)")
                #expect(account.datasets.allSatisfy { $0.expectedEvents == input.filter { $0.run == run }.count && $0.duplicatedEvents == 0 })
            }
        }
    }
}
