import Foundation
import FrameworkJobReport
import Testing
import TestSupport
@testable import WMCore

/// A StepChain job's `Report.<retry>.xml` through the real `wm-runjob`: one step section per cmsRun step, each with
/// its own inputs, outputs, performance and release; the dropped step's output kept in its section only.
@Suite struct StepChainReportTests {
    @Test func theJobReportHoldsOneSectionPerCmsRunStep() throws {
        let fixture = RuntimeFixture("chain-report")
        let chain = StepChainPlanningTests()
        var job = chain.job()
        job.inputFiles = []
        job.possibleSites = [fixture.pnn]
        job.outputs = job.outputs.mapValues { RuntimeFixture.spec($0.dataTier, base: $0.lfnBase) }
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(run.report, "Report.0.xml is readable")
        #expect(report.steps.map(\.wrapper.stepName) == ["cmsRun1", "cmsRun2", "cmsRun3"])
        #expect(report.steps.map(\.wrapper.stepStatus) == [0, 0, 0])
        #expect(report.steps.map { $0.parameters["CMSSWVersion"] } == ["CMSSW_12_4_0", "CMSSW_12_4_1", "CMSSW_12_4_2"])
        #expect(report.steps.allSatisfy { !$0.performanceSummaries.isEmpty }, "each step has its own performance")
        // Step 2 reads step 1's output and step 3 step 2's: local inputs, which are no inputs of the job.
        #expect(report.steps[1].inputFiles.map(\.lfn) == report.steps[0].outputFiles.map(\.lfn))
        #expect(report.steps[2].inputFiles.map(\.lfn) == report.steps[1].outputFiles.map(\.lfn))
        #expect(report.inputFiles.isEmpty, "a generating chain reads nothing from outside the job")
        // The DIGI output stays in its section, marked dropped; the job's outputs are the kept ones and the log archive.
        #expect(report.steps[1].outputFiles.map(\.kept) == [false])
        #expect(Set(report.outputModules) == ["RAWSIMoutput", "AODSIMoutput", "logArchive"])
        let reco = try #require(report.outputFiles(module: "AODSIMoutput").first)
        #expect(reco.pfn == fixture.pfn(reco.lfn), "the staged-out PFN, in the job view")
        #expect(report.steps[2].outputFiles.first?.pfn == fixture.pfn(reco.lfn), "and in its step section")
        #expect(report.keptAncestors(ofOutput: reco.lfn) == report.steps[0].outputFiles.map(\.lfn))
        #expect(!FileManager.default.fileExists(atPath: fixture.pfn(report.steps[1].outputFiles[0].lfn)), "the DIGI output is never staged out")
    }
}
