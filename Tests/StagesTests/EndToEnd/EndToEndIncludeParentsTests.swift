import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import WMCore

/// Issue 19 item 4: with `IncludeParents`, each job reads its input files' parents (from the catalog's
/// parentage) as secondary input, and its framework job report lists them.
@Suite struct EndToEndIncludeParentsTests {
    /// A ReReco request built on the configuration `configID`.
    static func reReco(input: String, processing: String, configID: String, includeParents: Bool) -> [String: Any] {
        ["createRequest": ["RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_" + processing, "Campaign": "Demo2026",
                           "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_mcRun3_2024_realistic_v1",
                           "AcquisitionEra": "Demo2026", "ProcessingString": processing, "ProcessingVersion": 1,
                           "InputDataset": input, "ConfigCacheID": configID, "IncludeParents": includeParents,
                           "SplittingAlgo": "LumiBased", "LumisPerJob": 4, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000],
         "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"], "AcquisitionEra": "Demo2026",
                           "ProcessingString": processing, "ProcessingVersion": 1, "MergedLFNBase": "/store/mc"]]
    }

    /// Adds a configuration with one output module of `tier` to the config cache; returns its id.
    static func config(_ agent: EndToEndAgent, module: String, tier: String) throws -> String {
        try agent.addConfig(#"{"outputModules": {"\#(module)": {"dataTier": "\#(tier)", "filterName": ""}}, "description": "\#(tier)"}"#)
    }

    @Test func jobsReadTheirInputsParentsAndTheReportListsThem() throws {
        let agent = try EndToEndAgent("parents")
        defer { agent.killLeftovers() }
        // GEN-SIM, then a RECO of it (whose files have GEN-SIM parents), then an AOD of the RECO with IncludeParents.
        let first = try agent.submit(try EndToEndRequests.monteCarlo(events: 600, perJob: 200, perLumi: 50, tasks: 1))
        try agent.runUntilQuiet()
        #expect(agent.status(of: first) == "completed")
        let genSim = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
        let reco = try agent.submit(Self.reReco(input: genSim, processing: "reco", configID: try Self.config(agent, module: "RECOoutput", tier: "RECO"),
                                                includeParents: false))
        try agent.runUntilQuiet()
        #expect(agent.status(of: reco) == "completed")
        let recoDataset = "/DemoMinBias/Demo2026-reco-v1/RECO"
        let aod = try agent.submit(Self.reReco(input: recoDataset, processing: "aod", configID: try Self.config(agent, module: "AODoutput", tier: "AOD"),
                                               includeParents: true))
        try agent.runUntilQuiet()
        #expect(agent.status(of: aod) == "completed")
        #expect(try agent.events(in: "/DemoMinBias/Demo2026-aod-v1/AOD").count == 600, "every event once")

        let genSimFiles = Set(try agent.blocks(of: genSim).flatMap(\.files).map(\.lfn))
        let jobs = try agent.archivedJobs(of: aod).filter { $0.taskType == "Processing" }
        #expect(!jobs.isEmpty)
        for job in jobs {
            #expect(job.includeParents == true, "\(job.name) carries includeParents")
            let parents = Set(job.inputFiles.flatMap(\.parents))
            #expect(!parents.isEmpty && parents.isSubset(of: genSimFiles), "\(job.name): parents \(parents)")
            let tarball = agent.spool.path("archive/logs/\(aod.prefix(1))/\(aod)/JobCluster_0/Job_\(job.name).tar.gz")
            let report = try TestSupport.run("/usr/bin/tar", ["-xzOf", tarball, "\(job.name)-0/Report.0.xml"]).stdout
            for parent in parents {
                #expect(report.contains(parent), "\(job.name)'s report lists its parent \(parent)")
            }
            #expect(report.contains("secondaryFiles"), "\(job.name)'s report reads parents as secondary files")
        }
        agent.expectClean()
    }
}
