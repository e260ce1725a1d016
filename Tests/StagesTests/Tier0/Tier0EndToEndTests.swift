import DynamicJSON
import Foundation
import StorageManagerReplay
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 20's Must show, run by the real pipeline (`wmagent run`'s stages with the Tier-0 feeder, the local plugin
/// starting real `wm-runjob`/`wm-cmsrun` processes): 3 runs × 2 streams (Physics: Bulk, Express: Express) × 50 lumis from
/// 2 storage-manager instances, lumis out of order, one instance late, empty lumis, one oversized lumi. Checked event by
/// event from the catalog against the replay's own expectation.
@Suite(.serialized) struct Tier0EndToEndTests {
    static let repackWorkflows = (100_001...100_003).map { "Repack_Run\($0)_StreamPhysics" }
    static let expressWorkflows = (100_001...100_003).map { "Express_Run\($0)_StreamExpress" }

    @Test func threeRunsTwoStreamsFromTwoInstancesReachTheirDatasetsOnce() throws {
        let agent = try EndToEndAgent("t0-mustshow")
        defer { agent.killLeftovers() }
        let spool = agent.spool
        try Data(Tier0Replay.configuration.utf8).write(to: URL(fileURLWithPath: spool.path(Layout.tier0Configuration)))
        let expectFile = spool.path("expect.json")
        let output = ReplayOutput()
        let code = ReplayCommand.run(["--spool", spool.root, "--runs", "3", "--lumis", "50", "--instances", "2", "--shuffle",
                                      "--late-instance", "--empty-lumis", "2", "--oversized-lumi", "100002:17",
                                      "--seed", "7", "--expect", expectFile], output: output)
        try #require(code == 0, "\(output.stderr)")
        let expected = try Tier0Replay.expectation(expectFile)

        // The late instance's documents are held back: until they come, no lumi is closed by every instance.
        let held = try Self.holdBack(instance: Self.lastInstance(spool), spool: spool)
        #expect(!held.isEmpty)
        try agent.runUntilQuiet(tier0: true)
        for workflow in Self.repackWorkflows + Self.expressWorkflows {
            let top = workflow.hasPrefix("Repack") ? "Repack" : "Express"
            for state in [FileState.available, .acquired, .completed, .failed] {
                #expect(try WMBSStore(spool: spool).fileKeys(workflow, top, in: state).isEmpty,
                        "\(workflow): no streamer is fed before every instance closed its lumi (\(state))")
            }
        }
        #expect(try spool.scan(Layout.jobs(.cleanout)).names.isEmpty && !SystemCall.exists(spool.path("archive/jobs")),
                "no job ran before the late instance came")

        // The late instance arrives; the pipeline runs until the six workflows are archived.
        for (name, bytes) in held { try spool.publish(bytes, as: name, in: Layout.tier0Incoming) }
        let deadline = Date().addingTimeInterval(400)
        while Date() < deadline {
            try agent.runUntilQuiet(tier0: true)
            if (Self.repackWorkflows + Self.expressWorkflows).allSatisfy({ spool.contains($0 + ".json", in: Layout.summaries) }) { break }
            Thread.sleep(forTimeInterval: 1)   // ExpressMerge waits maxLatency (1 s) for each lumi
        }
        for workflow in Self.repackWorkflows + Self.expressWorkflows {
            #expect(spool.contains(workflow + ".json", in: Layout.summaries), "\(workflow) archived")
        }

        // Every event in every primary dataset whose paths it fired, once — or in its -Error dataset; the express
        // datasets hold the express stream's events once.
        let datasets = try agent.datasets()
        let problems = try Tier0Replay.problems(expected: expected, oversized: (100_002, 17)) { datasets.contains($0) ? try agent.events(in: $0) : nil }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(expected["StreamExpress", default: []].count == 3 * 48 * 2 * 10 + 20 * 2 * 10 - 2 * 10,
                "the replay wrote what the test thinks (48 lumis with data per run, one of them 20×)")
    }

    /// The highest instance named by the incoming documents (the replay's late one).
    static func lastInstance(_ spool: Spool) throws -> String {
        try spool.scan(Layout.tier0Incoming).names.compactMap { name in
            try spool.read(name, in: Layout.tier0Incoming).flatMap { try? JSONValue.parse($0).objectValue?["instance"] }
                .map { $0.stringValue ?? $0.serialized }
        }.max() ?? ""
    }

    /// Takes the documents of `instance` out of `t0/incoming/`; returns them (name, bytes).
    static func holdBack(instance: String, spool: Spool) throws -> [(String, [UInt8])] {
        var held: [(String, [UInt8])] = []
        for name in try spool.scan(Layout.tier0Incoming).names {
            guard let bytes = try spool.read(name, in: Layout.tier0Incoming),
                  let value = try JSONValue.parse(bytes).objectValue?["instance"], (value.stringValue ?? value.serialized) == instance else { continue }
            held.append((name, bytes))
            try SystemCall.unlink(spool.path(Layout.tier0Incoming + "/" + name))
        }
        return held
    }

}
