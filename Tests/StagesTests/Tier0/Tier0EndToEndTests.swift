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
    /// The Tier-0 configuration of the test: the default menu, with sizes scaled to the replay's small streamers
    /// (~2.8 kB per file of 10 events): a normal lumi (2 files) repacks two at a time, the oversized lumi (20× the
    /// events) is split over two repack jobs, and its merge is over `maxEdmSize`, so it goes to the `-Error` datasets.
    static let configuration = """
    {"acquisitionEra": "Run2026A",
     "menus": {"HLT_2026_v1": {"process": "HLT", "paths": ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"],
               "streams": {"Physics": {"Muon": ["HLT_Mu"], "EGamma": ["HLT_Ele"], "JetMET": ["HLT_Jet", "HLT_Mu"]},
                           "Express": {"ExpressPhysics": ["HLT_Express"]}}}},
     "streams": {"Physics": {"style": "Bulk", "maxSizeSingleLumi": 60000, "maxSizeMultiLumi": 12000,
                             "maxEdmSize": 20000, "maxOverSize": 20000},
                 "Express": {"style": "Express", "maxLatency": 1}},
     "promptReco": {"delay": 172800, "offset": 1800, "enabled": false}}
    """

    static let repackWorkflows = (100_001...100_003).map { "Repack_Run\($0)_StreamPhysics" }
    static let expressWorkflows = (100_001...100_003).map { "Express_Run\($0)_StreamExpress" }

    @Test func threeRunsTwoStreamsFromTwoInstancesReachTheirDatasetsOnce() throws {
        let agent = try EndToEndAgent("t0-mustshow")
        defer { agent.killLeftovers() }
        let spool = agent.spool
        try Data(Self.configuration.utf8).write(to: URL(fileURLWithPath: spool.path(Layout.tier0Configuration)))
        let expectFile = spool.path("expect.json")
        let output = ReplayOutput()
        let code = ReplayCommand.run(["--spool", spool.root, "--runs", "3", "--lumis", "50", "--instances", "2", "--shuffle",
                                      "--late-instance", "--empty-lumis", "2", "--oversized-lumi", "100002:17",
                                      "--seed", "7", "--expect", expectFile], output: output)
        try #require(code == 0, "\(output.stderr)")
        let expected = try Self.expectation(expectFile)

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

        // Every event in every primary dataset whose paths it fired, once — or in its -Error dataset.
        var errorEvents = 0
        for pd in ["Muon", "EGamma", "JetMET"] {
            let good = try agent.events(in: "/\(pd)/Run2026A-v1/RAW")
            let error = try Self.eventsIfAny(agent, "/\(pd)-Error/Run2026A-v1/RAW")
            errorEvents += error.count
            #expect((good + error).sorted() == expected[pd, default: []].sorted(), "\(pd): every event once")
            #expect(Set(good).isDisjoint(with: error))
            #expect(error.allSatisfy { $0.run == 100_002 && $0.lumi == 17 }, "\(pd): only the oversized lumi is in -Error")
        }
        #expect(errorEvents > 0, "the oversized lumi went to the -Error datasets")
        // The express datasets hold the express stream's events once.
        #expect(try agent.events(in: "/ExpressPhysics/Run2026A-Express-v1/FEVT").sorted() == expected["ExpressPhysics", default: []].sorted())
        for tier in ["FEVT", "ALCARECO"] {
            #expect(try agent.events(in: "/StreamExpress/Run2026A-Express-v1/\(tier)").sorted() == expected["StreamExpress", default: []].sorted(),
                    "StreamExpress \(tier)")
        }
        #expect(expected["StreamExpress", default: []].count == 3 * 48 * 2 * 10 + 20 * 2 * 10 - 2 * 10,
                "the replay wrote what the test thinks (48 lumis with data per run, one of them 20×)")
    }

    /// `{"datasets": {PD: ["RUN LUMI EVENT", ...]}}` of `wm-t0-replay --expect`.
    static func expectation(_ path: String) throws -> [String: [CatalogEvent]] {
        let root = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let datasets = try #require(root.objectValue?["datasets"]?.objectValue)
        return try datasets.mapValues { list in
            try #require(list.arrayValue).map { item in
                let parts = try #require(item.stringValue).split(separator: " ").compactMap { Int($0) }
                try #require(parts.count == 3)
                return CatalogEvent(run: parts[0], lumi: parts[1], event: parts[2])
            }
        }
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

    /// The events of `dataset`, none when the catalog does not have it.
    static func eventsIfAny(_ agent: EndToEndAgent, _ dataset: String) throws -> [CatalogEvent] {
        try agent.datasets().contains(dataset) ? agent.events(in: dataset) : []
    }
}
