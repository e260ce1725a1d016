import Testing
import WMCore
@testable import Tier0

/// §A.4's PromptReco workflow: `PromptReco_Run<r>_<PD>` reading the run's repacked RAW, EventAwareLumiBased with
/// RecoSplit × cores events per job and the job time limit, one output per write tier merged by ParentlessMergeBySize.
@Suite struct PromptRecoWorkloadTests {
    @Test func theRecoTaskReadsTheRunsRAWAndWritesEachTierMerged() throws {
        var configuration = try ConfigurationTests.decode(ConfigurationTests.example)
        configuration.promptReco.recoCores = 4
        configuration.promptReco.recoSplit = 750
        let jetHT = Tier0Workloads.promptReco(run: 289461, dataset: "JetHT", repackVersion: 2, configuration: configuration)
        #expect(jetHT.name == "PromptReco_Run289461_JetHT" && jetHT.requestType == .promptReco)
        #expect(Tier0Workloads.priority(of: jetHT.requestType) == 150_000)
        let reco = try #require(jetHT.tasks.first)
        #expect(reco.name == "Reco" && reco.path == "/PromptReco_Run289461_JetHT/Reco" && reco.type == .processing && reco.multicore == 4)
        #expect(reco.input == .tier0Dataset(name: "/JetHT/Run2026A-v2/RAW", selection: InputSelection(runWhitelist: [289461])))
        #expect(reco.splitting.algorithm == "EventAwareLumiBased")
        #expect(reco.splitting.int("events_per_job") == 3000 && reco.splitting.int("job_time_limit") == 96 * 3600)
        #expect(reco.outputs.map(\.dataset) == ["/JetHT/Run2026A-PromptReco-v1/AOD"], "JetHT writes AOD only")
        #expect(jetHT.tasks.map(\.name) == ["Reco", "RecoMergewrite_AOD", "RecoMergewrite_AODLogCollect", "RecoCleanupUnmergedwrite_AOD",
                                            "RecoLogCollect"])
        let merge = jetHT.tasks[1]
        #expect(merge.type == .merge && merge.splitting.algorithm == "ParentlessMergeBySize")
        #expect(merge.input == .taskOutput(taskPath: reco.path, module: "write_AOD"))
        #expect(merge.outputs.map(\.mergedLFNBase) == ["/store/data/Run2026A/JetHT/AOD/PromptReco-v1"])
        // A dataset without overrides writes the default tiers.
        let egamma = Tier0Workloads.promptReco(run: 1, dataset: "EGamma", repackVersion: 1, configuration: configuration)
        #expect(egamma.tasks.first?.outputs.map(\.tier) == ["AOD", "MINIAOD", "DQMIO"])
        #expect(egamma.tasks.filter { $0.type == .merge }.count == 3)
    }
}
