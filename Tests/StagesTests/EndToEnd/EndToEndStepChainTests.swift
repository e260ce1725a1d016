import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 19, Must show: a 3-step StepChain (GEN-SIM → DIGI → RECO, the DIGI output dropped) from
/// `wmctl request submit --assign` to `completed`, one job per split running the three cmsRun steps in order.
@Suite struct EndToEndStepChainTests {
    /// The datasets the chain keeps: GEN-SIM (step 1) and RECO's AODSIM and DQMIO (step 3); never DIGI's GEN-SIM-RAW.
    static let keptDatasets = EndToEndAgent.mcDatasets(["GEN-SIM", "AODSIM", "DQMIO"])

    @Test func threeStepChainRunsEveryStepInOneJobAndKeepsOnlyKeptOutputs() throws {
        let agent = try EndToEndAgent("stepchain")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.stepChain(events: 600, perJob: 200, perLumi: 100))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")

        // One job per split (600 events / 200 per job), each running cmsRun1..3 — seen in its log archive.
        let production = try agent.archivedJobs(of: name).filter { $0.taskType == "Production" }
        #expect(production.count == 3, "one Production job per split: \(production.map(\.name))")
        #expect(Set(production.map(\.task)).count == 1, "one task runs every step: \(Set(production.map(\.task)))")
        for job in production {
            let archives = agent.storageFiles(containing: "\(job.name)-\(job.retryCount)-logArchive.tar.gz")
            let archive = try #require(archives.first, "\(job.name): log archive in storage")
            let listing = try TestSupport.run("/usr/bin/tar", ["-tzf", agent.spool.path("storage/" + archive)])
            try #require(listing.status == 0, "tar -tzf \(archive): \(listing.stderr)")
            let entries = Set(listing.stdout.split(separator: "\n").map(String.init))
            #expect(entries.isSuperset(of: ["cmsrun-report.xml", "cmsRun2-report.xml", "cmsRun3-report.xml",
                                           "cmsRun1-stdout.log", "cmsRun2-stdout.log", "cmsRun3-stdout.log"]),
                    "\(job.name): reports of the three cmsRun steps: \(entries.sorted())")
        }

        // Exactly the kept datasets, every event once.
        #expect(try agent.datasets() == Self.keptDatasets)
        let expected = EndToEndAgent.monteCarloEvents(1...600, perLumi: 100)
        for dataset in Self.keptDatasets {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every requested event exactly once")
            for file in try agent.blocks(of: dataset).flatMap(\.files) { #expect(file.lfn.hasPrefix("/store/mc/"), "\(file.lfn) is merged") }
        }
        // DBS parentage skips the dropped DIGI step (WMCore's ChainParentageMap and StepChain parentage fix): the RECO
        // datasets' parent is GEN-SIM, and each RECO file's parents are the merged GEN-SIM files covering its lumis.
        let genSimName = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
        let genSim = Dictionary(uniqueKeysWithValues: try agent.blocks(of: genSimName).flatMap(\.files).map { ($0.lfn, $0) })
        for tier in ["AODSIM", "DQMIO"] {
            let dataset = "/DemoMinBias/Demo2026-demo-v1/" + tier
            #expect(CatalogStore(spool: agent.spool).dataset(named: dataset)?.parent == genSimName, "\(dataset): dataset parent")
            for file in try agent.blocks(of: dataset).flatMap(\.files) {
                let parents = file.parents.compactMap { genSim[$0] }
                #expect(!file.parents.isEmpty && parents.count == file.parents.count, "\(file.lfn): parents \(file.parents) are GEN-SIM files")
                let covered = Set(parents.flatMap(\.lumis).map { [$0.run, $0.lumi] })
                #expect(file.lumis.allSatisfy { covered.contains([$0.run, $0.lumi]) }, "\(file.lfn): parents cover its lumis")
                #expect(parents.allSatisfy { parent in parent.lumis.contains { lumi in file.lumis.contains { $0.run == lumi.run && $0.lumi == lumi.lumi } } },
                        "\(file.lfn): every parent shares a lumi with it")
            }
        }
        // Each output's DBS record carries its own step's release and GlobalTag (GEN-SIM step 1's, RECO's step 3's).
        for (tier, step) in [("GEN-SIM", 1), ("AODSIM", 3), ("DQMIO", 3)] {
            for block in try CatalogStore(spool: agent.spool).bulkBlocks(of: "/DemoMinBias/Demo2026-demo-v1/" + tier) {
                #expect(block.datasetConfList.map(\.releaseVersion) == [EndToEndRequests.stepRelease(step)], "\(block.block.blockName)")
                #expect(block.datasetConfList.map(\.globalTag) == [EndToEndRequests.stepGlobalTag(step)], "\(block.block.blockName)")
            }
        }
        // Nothing is left in unmerged storage but job log archives; the DIGI output was never staged out.
        #expect(agent.storageFiles(containing: "store/unmerged/").filter { !$0.contains("/store/unmerged/logs/") } == [])
        #expect(agent.storageFiles(containing: "GEN-SIM-RAW") == [])
        agent.expectClean()
        #expect(agent.processesOfSpool().isEmpty, "no payload left running")
    }
}

extension EndToEndRequests {
    /// The CMSSW release step `number` of the example StepChain runs (each step its own).
    static func stepRelease(_ number: Int) -> String { "CMSSW_14_0_\(number)" }
    /// The GlobalTag step `number` of the example StepChain runs.
    static func stepGlobalTag(_ number: Int) -> String { "140X_step\(number)_v1" }

    /// The example chain as one StepChain (GEN-SIM → DIGI → RECO) for `events` events (`perJob` per job, `perLumi`
    /// per lumi), the DIGI step's output dropped (`KeepOutput: false`), each step with its own release and GlobalTag.
    static func stepChain(events: Int, perJob: Int, perLumi: Int) throws -> [String: Any] {
        var request = try example()
        var create = request["createRequest"] as! [String: Any]
        let tasks = (1...3).map { create.removeValue(forKey: "Task\($0)") as! [String: Any] }
        create.removeValue(forKey: "TaskChain")
        create["RequestType"] = "StepChain"
        create["RequestString"] = "StepChain_MC_demo"
        create["StepChain"] = 3
        for (index, task) in tasks.enumerated() {
            var step: [String: Any] = ["StepName": task["TaskName"]!, "ConfigCacheID": task["ConfigCacheID"]!,
                                       "CMSSWVersion": stepRelease(index + 1), "GlobalTag": stepGlobalTag(index + 1)]
            if index == 0 {
                step["PrimaryDataset"] = task["PrimaryDataset"]
                step["RequestNumEvents"] = events
                step["EventsPerJob"] = perJob
                step["EventsPerLumi"] = perLumi
                step["SplittingAlgo"] = "EventBased"
            } else {
                step["InputStep"] = (tasks[index - 1]["TaskName"])!
                step["InputFromOutputModule"] = task["InputFromOutputModule"]
                step["KeepOutput"] = index != 1
            }
            create["Step\(index + 1)"] = step
        }
        request["createRequest"] = create
        return request
    }
}
