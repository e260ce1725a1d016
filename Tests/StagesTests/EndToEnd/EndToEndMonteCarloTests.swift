import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 6/7, proof 1: a MonteCarlo TaskChain (GEN-SIM → DIGI → RECO, with merges) from
/// `wmctl request submit --assign` to `completed`, through every stage and real payload processes.
@Suite struct EndToEndMonteCarloTests {
    static let tiers = ["GEN-SIM", "GEN-SIM-RAW", "AODSIM", "DQMIO"]

    @Test func taskChainRunsToCompletedWithMergedDatasetsCleanupLogsAndSummary() throws {
        let agent = try EndToEndAgent("mc")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100))
        try agent.runUntilQuiet()
        try checkCompletedChain(agent, name, events: 1...1000, perLumi: 100, limits: .wmcore)
        // WMCore's limits are far away: one block per dataset.
        for dataset in Self.datasetNames { #expect(try agent.blocks(of: dataset).count == 1, "\(dataset)") }
    }

    @Test func smallBlockLimitsMakeSeveralBlocksPerDataset() throws {
        let agent = try EndToEndAgent("mc-blocks")
        defer { agent.killLeftovers() }
        // MaxMergeEvents 300: GEN-SIM files (200 events) are merged one per merge job, DIGI and RECO files (≥ 300
        // events) go straight to merge; either way several merged files.
        let request = try EndToEndRequests.monteCarlo(events: 800, perJob: 200, perLumi: 100, assignment: ["MaxMergeEvents": 300])
        let name = try agent.submit(request)
        // Blocks of at most 2 files (GEN-SIM: 4 files of 200) and 500 events (the others: 2 files of 300-500).
        let limits = BlockLimits(maxFiles: 2, maxEvents: 500, maxSize: 5_000_000_000_000, maxAge: 66_400)
        try agent.runUntilQuiet(blockLimits: limits)
        try checkCompletedChain(agent, name, events: 1...800, perLumi: 100, limits: limits)
        for dataset in Self.datasetNames {
            let blocks = try agent.blocks(of: dataset)
            #expect(blocks.count == 2, "\(dataset): 2 blocks: \(blocks.map(\.files.count))")
        }
        let merges = try agent.archivedJobs(of: name).filter { $0.taskType == "Merge" }
        let mergeTasks = Set(merges.map { String($0.task.split(separator: "/").last!) })
        #expect(mergeTasks.contains("GenSimMergeRAWSIMoutput"), "GEN-SIM files were merged")
        #expect(!mergeTasks.contains("RecoMergeAODSIMoutput"), "RECO files (500 and 300 events) went straight to merge")
    }

    /// Issue 19: the assignment's `BlockCloseMax*` close the request's blocks, with the agent at WMCore's limits.
    @Test func theAssignmentsBlockCloseLimitsMakeSeveralBlocksPerDataset() throws {
        let agent = try EndToEndAgent("mc-request-blocks")
        defer { agent.killLeftovers() }
        let request = try EndToEndRequests.monteCarlo(events: 800, perJob: 200, perLumi: 100,
                                                      assignment: ["MaxMergeEvents": 300, "BlockCloseMaxFiles": 2, "BlockCloseMaxEvents": 500])
        let name = try agent.submit(request)
        try agent.runUntilQuiet(blockLimits: .wmcore)
        let limits = BlockLimits(maxFiles: 2, maxEvents: 500, maxSize: 5_000_000_000_000, maxAge: 66_400)
        try checkCompletedChain(agent, name, events: 1...800, perLumi: 100, limits: limits)
        for dataset in Self.datasetNames {
            let blocks = try agent.blocks(of: dataset)
            #expect(blocks.count == 2, "\(dataset): 2 blocks: \(blocks.map(\.files.count))")
        }
        // ValidStatus (default PRODUCTION, as ReqMgr2's) is the datasets' access type in the catalog.
        let records = try CatalogStore(spool: agent.spool).datasetRecords()
        #expect(!records.isEmpty && records.allSatisfy { $0.accessType == "PRODUCTION" }, "\(records.map(\.accessType))")
    }

    static var datasetNames: Set<String> { EndToEndAgent.mcDatasets(tiers) }

    /// Everything a completed chain must show: request completed, merged datasets with every event once,
    /// blocks within the limits, unmerged files cleaned up, logs collected, the summary, and a clean fsck.
    func checkCompletedChain(_ agent: EndToEndAgent, _ name: String, events: ClosedRange<Int>, perLumi: Int,
                             limits: BlockLimits) throws {
        #expect(agent.status(of: name) == "completed")
        #expect(try agent.datasets() == Self.datasetNames)
        let expected = EndToEndAgent.monteCarloEvents(events, perLumi: perLumi)
        for dataset in Self.datasetNames {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every requested event exactly once")
            let blocks = try agent.blocks(of: dataset)
            for block in blocks {
                let blockEvents = block.files.reduce(0) { $0 + $1.events }
                #expect(block.files.count <= limits.maxFiles && (block.files.count == 1 || blockEvents <= limits.maxEvents),
                        "\(block.name): \(block.files.count) files, \(blockEvents) events within the limits")
                #expect(!block.isOpen, "\(block.name) closed")
            }
            for file in blocks.flatMap(\.files) { #expect(file.lfn.hasPrefix("/store/mc/"), "\(file.lfn) is merged") }
        }
        // DBS parentage follows the chain through the merged files: GEN-SIM-RAW ← GEN-SIM, AODSIM and DQMIO ← GEN-SIM-RAW.
        for (child, parent) in [("GEN-SIM-RAW", "GEN-SIM"), ("AODSIM", "GEN-SIM-RAW"), ("DQMIO", "GEN-SIM-RAW")] {
            let parents = Set(try agent.blocks(of: "/DemoMinBias/Demo2026-demo-v1/" + parent).flatMap(\.files).map(\.lfn))
            for file in try agent.blocks(of: "/DemoMinBias/Demo2026-demo-v1/" + child).flatMap(\.files) {
                #expect(!file.parents.isEmpty && Set(file.parents).isSubset(of: parents), "\(child) \(file.lfn): parents \(file.parents)")
            }
        }
        // Cleanup: the unmerged outputs are gone (only the job log archives stay under /store/unmerged/logs).
        #expect(agent.storageFiles(containing: "store/unmerged/").filter { !$0.contains("/store/unmerged/logs/") } == [])
        #expect(agent.storageFiles(containing: ".root").allSatisfy { $0.contains("/store/mc/") })
        try checkLogsCollected(agent, name)
        try checkSummary(agent, name, events: events.count)
        agent.expectClean()
        #expect(agent.processesOfSpool().isEmpty, "no payload left running")
    }

    /// Every production, processing and merge job's log archive is in one of the workflow's LogCollect tarballs.
    func checkLogsCollected(_ agent: EndToEndAgent, _ name: String) throws {
        let jobs = try agent.archivedJobs(of: name).filter { ["Production", "Processing", "Merge"].contains($0.taskType) }
        try #require(!jobs.isEmpty)
        let tarballs = agent.storageFiles(containing: "store/logs/prod/").filter { $0.contains(name) && $0.hasSuffix("-logs.tar") }
        #expect(tarballs.count == Set(jobs.map(\.task)).count, "one LogCollect tarball per task that ran jobs: \(tarballs)")
        var collected: Set<String> = []
        for tarball in tarballs {
            let listing = try TestSupport.run("/usr/bin/tar", ["-tf", agent.spool.path("storage/" + tarball)])
            try #require(listing.status == 0, "tar -tf \(tarball): \(listing.stderr)")
            for entry in listing.stdout.split(separator: "\n") {
                // Entries are "<index>-<log archive file name>".
                collected.insert(String(entry.drop { $0 != "-" }.dropFirst()))
            }
        }
        for job in jobs {
            #expect(collected.contains("\(job.name)-\(job.retryCount)-logArchive.tar.gz"), "\(job.name)'s log archive collected")
        }
    }

    /// `archive/summaries/<wf>.json`: the four datasets with their files and events, and the job counts.
    func checkSummary(_ agent: EndToEndAgent, _ name: String, events: Int) throws {
        let summary = try agent.summary(of: name)
        #expect(Set(summary.output.keys) == Self.datasetNames)
        for (dataset, totals) in summary.output {
            #expect(totals.events == events, "\(dataset) events")
            #expect(totals.nFiles == (try agent.blocks(of: dataset).reduce(0) { $0 + $1.files.count }), "\(dataset) files")
        }
        let jobs = try agent.archivedJobs(of: name)
        #expect(summary.jobs == ["success": jobs.count], "every job succeeded at once")
        #expect(jobs.allSatisfy { $0.retryCount == 0 })
        #expect(summary.logArchives == jobs.count)
        // Every task's CPU efficiency comes from its jobs' reports (CPU time, wall time, threads), through the records.
        #expect(!summary.performance.isEmpty && summary.performance.values.allSatisfy { ($0.cpuEfficiency ?? 0) > 0 },
                "\(summary.performance.mapValues(\.cpuEfficiency))")
    }
}

extension EndToEndAgent {
    /// A dataset's blocks in the catalog.
    func blocks(of dataset: String) throws -> [CatalogBlock] {
        try #require(CatalogStore(spool: spool).dataset(named: dataset), "\(dataset) in the catalog").blocks
    }
}
