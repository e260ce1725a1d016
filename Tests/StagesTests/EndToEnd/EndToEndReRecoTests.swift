import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 6/7, proof 4: a ReReco of an earlier request's merged output, restricted by a LumiList, writes
/// exactly the events of the listed lumis.
@Suite struct EndToEndReRecoTests {
    @Test func reRecoWithLumiListProcessesExactlyTheListedLumis() throws {
        let agent = try EndToEndAgent("rereco")
        defer { agent.killLeftovers() }
        // Run 1: GEN-SIM only, 600 events in lumis of 50 (run 1, lumis 1-12).
        let first = try agent.submit(try EndToEndRequests.monteCarlo(events: 600, perJob: 200, perLumi: 50, tasks: 1))
        try agent.runUntilQuiet()
        #expect(agent.status(of: first) == "completed")
        let input = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
        #expect(try agent.datasets() == [input])

        // A RECO configuration from the config cache, and a flat ReReco of the GEN-SIM dataset.
        let configID = try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}, "description": "ReReco test"}"#)
        // Lumis 2-4 and 9 of run 1; run 2 has no data (nothing may come of it).
        let lumiList: [String: Any] = ["1": [[2, 4], [9, 9]], "2": [[1, 3]]]
        let request: [String: Any] = [
            "createRequest": ["RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_lumis", "Campaign": "Demo2026",
                              "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_mcRun3_2024_realistic_v1",
                              "AcquisitionEra": "Demo2026", "ProcessingString": "rereco", "ProcessingVersion": 1,
                              "InputDataset": input, "LumiList": lumiList, "ConfigCacheID": configID,
                              "SplittingAlgo": "LumiBased", "LumisPerJob": 2, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000],
            "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"], "AcquisitionEra": "Demo2026",
                              "ProcessingString": "rereco", "ProcessingVersion": 1, "MergedLFNBase": "/store/mc"],
        ]
        let rereco = try agent.submit(request)
        try agent.runUntilQuiet()
        #expect(agent.status(of: rereco) == "completed")

        let output = "/DemoMinBias/Demo2026-rereco-v1/RECO"
        #expect(try agent.datasets() == [input, output])
        let listed = [2, 3, 4, 9]
        let expected = listed.flatMap { lumi in ((lumi - 1) * 50 + 1...lumi * 50).map { CatalogEvent(run: 1, lumi: lumi, event: $0) } }
        #expect(try agent.events(in: output).sorted() == expected, "exactly the events of lumis 2-4 and 9")
        let lumis = try agent.wmctlOK(["catalog", "lumis", output]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lumis == "run 1: 2 3 4 9")
        // The input dataset is untouched, and the new one descends from it.
        #expect(try agent.events(in: input).count == 600)
        // DBS parentage is per file (file_parent_list): every RECO file's parents are GEN-SIM files.
        let inputFiles = Set(try agent.blocks(of: input).flatMap(\.files).map(\.lfn))
        for file in try agent.blocks(of: output).flatMap(\.files) {
            #expect(!file.parents.isEmpty && Set(file.parents).isSubset(of: inputFiles), "\(file.lfn) parents \(file.parents)")
        }
        // DBS says what made the data: the request's release and GlobalTag (the agent's baggage has none here).
        for block in try CatalogStore(spool: agent.spool).bulkBlocks(of: output) {
            #expect(block.datasetConfList.map(\.releaseVersion) == ["CMSSW_14_0_0"], "\(block.block.blockName)")
            #expect(block.datasetConfList.map(\.globalTag) == ["140X_mcRun3_2024_realistic_v1"], "\(block.block.blockName)")
        }
        let jobs = try agent.archivedJobs(of: rereco).filter { $0.taskType == "Processing" }
        #expect(jobs.count == 2, "4 lumis at 2 lumis a job")
        agent.expectClean()
    }
}
