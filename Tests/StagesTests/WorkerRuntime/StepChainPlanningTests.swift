import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import WMCore

/// Planning a StepChain job: one cmsRun step per chain step, each later step reading its input step's output in the
/// scratch folder, outputs the job does not list (`KeepOutput: false`) written locally only.
@Suite struct StepChainPlanningTests {
    static let steps = [
        ChainStep(name: "GENSIM", outputTiers: ["RAWSIMoutput": "GEN-SIM"], cmsswVersion: "CMSSW_12_4_0", globalTag: "GT_GEN", eventsPerLumi: 50),
        ChainStep(name: "DIGI", outputTiers: ["PREMIXRAWoutput": "GEN-SIM-RAW"], inputModule: "RAWSIMoutput",
                  cmsswVersion: "CMSSW_12_4_1", globalTag: "GT_DIGI"),
        ChainStep(name: "RECO", outputTiers: ["AODSIMoutput": "AODSIM"], inputModule: "PREMIXRAWoutput",
                  cmsswVersion: "CMSSW_12_4_2", globalTag: "GT_RECO"),
    ]

    func planner() -> StepPlanner {
        var counter = 0
        return StepPlanner(defaultSpool: "/spool", storageFolder: "storage", runtime: JobRuntime(), now: Date(timeIntervalSince1970: 1_700_000_000)) {
            counter += 1
            return String(format: "GUID-%04d", counter)
        }
    }

    /// A Production job of the chain whose document lists the kept modules (GEN-SIM and AODSIM).
    func job(steps: [ChainStep] = Self.steps) -> JobBody {
        var mask = JobMask()
        mask.firstEvent = 1
        mask.lastEvent = 200
        mask.firstLumi = 1
        mask.lastLumi = 4
        return JobBody(name: "job-7", workflow: "WF", task: "/WF/GENSIM", taskType: "Production", subscription: "s", inputFiles: [],
                       mask: mask, baggage: [ChainStep.baggageKey: ChainStep.baggageValue(steps)],
                       outputs: ["RAWSIMoutput": JobOutputSpec(dataTier: "GEN-SIM", dataset: "/PD/E-v1/GEN-SIM", lfnBase: "/store/unmerged/E/PD/GEN-SIM/v1", merged: false),
                                 "AODSIMoutput": JobOutputSpec(dataTier: "AODSIM", dataset: "/PD/E-v1/AODSIM", lfnBase: "/store/unmerged/E/PD/AODSIM/v1", merged: false)])
    }

    @Test func threeStepsRunInOrderReadingLocally() throws {
        let configs = try planner().planSteps(job())
        #expect(configs.map(\.stepName) == ["cmsRun1", "cmsRun2", "cmsRun3"])
        #expect(configs.map(\.mode) == [.generate, .process, .process])
        #expect(configs[0].generation?.eventsPerLumi == 50)
        #expect(configs.map(\.globalTag) == ["GT_GEN", "GT_DIGI", "GT_RECO"])
        #expect(configs.map(\.cmsswVersion) == ["CMSSW_12_4_0", "CMSSW_12_4_1", "CMSSW_12_4_2"])
        #expect(configs[1].inputs.map(\.localFile) == [configs[0].outputs[0].localFile])
        #expect(configs[2].inputs.map(\.localFile) == [configs[1].outputs[0].localFile])
        #expect(configs.flatMap(\.inputs).allSatisfy { $0.confinementProblem == nil })
        // The dropped DIGI output is local only; the kept ones go to the job's LFN bases.
        #expect(configs.map { $0.outputs.map(\.stagedOut) } == [[true], [false], [true]])
        #expect(configs[0].outputs[0].lfn.hasPrefix("/store/unmerged/E/PD/GEN-SIM/v1/"))
        #expect(configs[2].outputs[0].lfn.hasPrefix("/store/unmerged/E/PD/AODSIM/v1/"))
        #expect(Set(configs.flatMap(\.outputs).map(\.localFile)).count == 3)
    }

    @Test func aStepReadingAModuleNoEarlierStepWritesIsRefused() {
        var steps = Self.steps
        steps[2].inputModule = "NOSUCHoutput"
        #expect(throws: RuntimePlanError.self) { try planner().planSteps(job(steps: steps)) }
    }

    @Test func aJobWithoutStepsPlansOneStep() throws {
        var single = job()
        single.baggage = [:]
        let configs = try planner().planSteps(single)
        #expect(configs.count == 1)
        #expect(configs[0].stepName == nil)
        #expect(configs[0].outputs.count == 2)
    }

    @Test func aLocalInputMustBeAPlainName() {
        #expect(StepInput(lfn: "/store/x.root", pfn: "x", guid: "g", localFile: "../x.root").confinementProblem != nil)
        #expect(StepInput(lfn: "/store/x.root", pfn: "x", guid: "g", localFile: "cmsRun1-output0.root").confinementProblem == nil)
    }
}
