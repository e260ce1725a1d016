import Testing
import WMCore
@testable import Tier0

/// §A.2, §D and the Interface's names and priorities.
@Suite struct NamesTests {
    @Test func workflowNames() {
        #expect(Tier0Names.repackWorkflow(run: 289461, stream: "PhysicsA") == "Repack_Run289461_StreamPhysicsA")
        #expect(Tier0Names.expressWorkflow(run: 289461, stream: "Express") == "Express_Run289461_StreamExpress")
        #expect(Tier0Names.promptRecoWorkflow(run: 289461, dataset: "JetHT") == "PromptReco_Run289461_JetHT")
    }

    /// Each dataset name is a valid WMCore dataset path (Lexicon patterns) of T0's form.
    @Test func datasetNamesAreT0sAndValid() {
        let names = [
            (Tier0Names.repackDataset("JetHT", era: "Run2026A", version: 1), "/JetHT/Run2026A-v1/RAW"),
            (Tier0Names.repackErrorDataset("JetHT", era: "Run2026A", version: 2), "/JetHT-Error/Run2026A-v2/RAW"),
            (Tier0Names.expressDataset(stream: "Express", era: "Run2026A", version: 1, tier: "FEVT"), "/StreamExpress/Run2026A-Express-v1/FEVT"),
            (Tier0Names.expressDataset(stream: "Express", era: "Run2026A", version: 1, tier: "DQMIO"), "/StreamExpress/Run2026A-Express-v1/DQMIO"),
            (Tier0Names.promptRecoDataset("JetHT", era: "Run2026A", version: 3, tier: "AOD"), "/JetHT/Run2026A-PromptReco-v3/AOD"),
        ]
        for (name, expected) in names {
            #expect(name.description == expected)
            #expect(DatasetName(expected) != nil, "\(expected) passes WMCore's Lexicon patterns")
        }
    }

    @Test func prioritiesAreBasePlusRepackOrExpress() {
        #expect(Tier0Names.basePriority == 150_000 && Tier0Names.repackPriority == 155_000 && Tier0Names.expressPriority == 160_000)
    }

    @Test func outputLabelsReplaceDashes() {
        #expect(Tier0Names.outputLabel(dataset: "JetHT-Error", tier: "RAW") == "write_JetHT_Error_RAW")
    }

    /// §A.1's example LFN is reproduced exactly, and every streamer LFN passes LFNRule.
    @Test func streamerLFNIsT0sForm() {
        let example = "/store/t0streamer/Data/ExpressCosmics/000/289/461/run289461_ls0020_streamExpressCosmics_StorageManager.dat"
        #expect(Tier0Names.streamerLFN(setupLabel: "Data", stream: "ExpressCosmics", run: 289461, lumi: 20, instance: "StorageManager") == example)
        let second = Tier0Names.streamerLFN(setupLabel: "Data", stream: "A", run: 4_294_967_295, lumi: 12345, instance: "sm-2", index: 3)
        #expect(second == "/store/t0streamer/Data/A/4294/967/295/run4294967295_ls12345_streamA_sm-2_3.dat")
        #expect(LFNRule.isValid(example) && LFNRule.isValid(second))
    }
}
