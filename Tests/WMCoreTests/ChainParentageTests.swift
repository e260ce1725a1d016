import Testing
@testable import WMCore

/// WMCore's `ChainParentageMap`: a StepChain output's parent dataset is the dataset of the nearest kept step above it.
@Suite struct ChainParentageTests {
    static func output(_ step: String, _ module: String, _ tier: String, kept: Bool = true) -> TaskOutput {
        TaskOutput(module: module, tier: tier, filterName: "", dataset: "/PD/Era-v1/" + tier, unmergedLFNBase: "/store/unmerged",
                   mergedLFNBase: "/store/mc", kept: kept, transient: !kept, step: step)
    }

    /// GEN-SIM (kept) → DIGI (`keepDigi`) → RECO (AODSIM and DQMIO), from `input`.
    static func chain(keepDigi: Bool, input: TaskInput = .generator(primaryDataset: "PD", events: 10, firstEvent: 1, firstLumi: 1)) -> WorkloadTask {
        var task = WorkloadTask(name: "GENSIM", path: "/w/GENSIM", type: .production, input: input,
                                splitting: SplittingSpec(algorithm: "EventBased"),
                                outputs: [output("GENSIM", "RAWSIMoutput", "GEN-SIM"), output("DIGI", "PREMIXRAWoutput", "GEN-SIM-RAW", kept: keepDigi),
                                          output("RECO", "AODSIMoutput", "AODSIM"), output("RECO", "DQMoutput", "DQMIO")],
                                steps: ["GENSIM", "DIGI", "RECO"])
        task.chainSteps = [ChainStep(name: "GENSIM", outputTiers: ["RAWSIMoutput": "GEN-SIM"]),
                           ChainStep(name: "DIGI", outputTiers: ["PREMIXRAWoutput": "GEN-SIM-RAW"], inputModule: "RAWSIMoutput"),
                           ChainStep(name: "RECO", outputTiers: ["AODSIMoutput": "AODSIM", "DQMoutput": "DQMIO"], inputModule: "PREMIXRAWoutput")]
        return task
    }

    @Test func aDroppedStepIsSkipped() {
        let map = Self.chain(keepDigi: false).chainParentage
        #expect(map == ["/PD/Era-v1/AODSIM": "/PD/Era-v1/GEN-SIM", "/PD/Era-v1/DQMIO": "/PD/Era-v1/GEN-SIM"],
                "a generating chain's first step has no parent; DIGI's dropped output has no entry")
    }

    @Test func aKeptStepIsTheParent() {
        #expect(Self.chain(keepDigi: true).chainParentage == ["/PD/Era-v1/GEN-SIM-RAW": "/PD/Era-v1/GEN-SIM",
                                                              "/PD/Era-v1/AODSIM": "/PD/Era-v1/GEN-SIM-RAW",
                                                              "/PD/Era-v1/DQMIO": "/PD/Era-v1/GEN-SIM-RAW"])
    }

    @Test func theFirstStepsParentIsTheInputDataset() {
        let input = TaskInput.dataset(name: "/In/Era-v1/RAW", selection: InputSelection())
        var task = Self.chain(keepDigi: false, input: input)
        #expect(task.chainParentage["/PD/Era-v1/GEN-SIM"] == "/In/Era-v1/RAW")
        // Every step above RECO dropped: RECO's parent is the input dataset.
        task.outputs[0].kept = false
        #expect(task.chainParentage["/PD/Era-v1/AODSIM"] == "/In/Era-v1/RAW")
        #expect(task.chainParentage["/PD/Era-v1/GEN-SIM"] == nil, "a dropped output has no entry")
    }

    @Test func otherTasksHaveNoMap() {
        let task = WorkloadTask(name: "T", path: "/w/T", type: .processing, input: .generator(primaryDataset: "PD", events: 1, firstEvent: 1, firstLumi: 1),
                                splitting: SplittingSpec(algorithm: "EventBased"), outputs: [Self.output("T", "o", "AODSIM")])
        #expect(task.chainParentage.isEmpty)
        #expect(Workload(name: "w", requestType: .stepChain, tasks: [Self.chain(keepDigi: false), task]).chainParentage.count == 2)
    }

    @Test func parentsAreTheFilesSharingALumi() {
        let files = [CatalogFile(lfn: "/store/a.root", size: 1, events: 2, adler32: "0", cksum: "0",
                                 lumis: [LumiSection(run: 1, lumi: 1), LumiSection(run: 1, lumi: 2)]),
                     CatalogFile(lfn: "/store/b.root", size: 1, events: 1, adler32: "0", cksum: "0", lumis: [LumiSection(run: 1, lumi: 3)]),
                     CatalogFile(lfn: "/store/bad.root", size: 1, events: 1, adler32: "0", cksum: "0", lumis: [LumiSection(run: 1, lumi: 2)], isValid: false)]
        let index = LumiParentIndex(files: files)
        let found = index.parents(sharing: [LumiSection(run: 1, lumi: 2), LumiSection(run: 1, lumi: 3), LumiSection(run: 2, lumi: 3)])
        #expect(found.parents == ["/store/a.root", "/store/b.root"], "invalid files are never parents")
        #expect(found.uncovered == [LumiSection(run: 2, lumi: 3)])
        #expect(index.parents(sharing: []).parents.isEmpty)
    }
}
