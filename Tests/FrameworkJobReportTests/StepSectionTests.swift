import Foundation
import Testing
@testable import FrameworkJobReport

/// A multi-step job's report (StepChain): one `FrameworkJobReport` section per cmsRun step inside the job's, read
/// back to the same steps, with the job view (kept outputs, inputs from outside the job, every error) readers use.
@Suite struct StepSectionTests {
    static func output(_ module: String, _ lfn: String, inputs: [String], kept: Bool = true) -> OutputFile {
        OutputFile(moduleLabel: module, lfn: lfn, pfn: lfn.split(separator: "/").last.map(String.init) ?? "", guid: "G-" + module,
                   events: 10, branchHash: "h", runs: RunLumiMap([1: [1: 10]]),
                   inputs: inputs.map { FileReference(lfn: $0, pfn: $0) }, size: 100, adler32: "0000abcd", cksum: "1", kept: kept)
    }

    static func step(_ number: Int, inputs: [String], outputs: [OutputFile], error: FrameworkError? = nil) -> FrameworkJobReport {
        var step = FrameworkJobReport()
        step.inputFiles = inputs.map { InputFile(lfn: $0, pfn: $0, guid: "", events: 10, runs: RunLumiMap([1: [1: nil]])) }
        step.outputFiles = outputs
        if let error { step.addError(error) }
        step.performanceSummaries = [PerformanceSummary(metric: "Timing", metrics: [NamedMetric(name: "TotalJobTime", value: "\(number).000")])]
        step.parameters["CMSSWVersion"] = "CMSSW_14_0_\(number)"
        step.wrapper = WrapperInfo(stepName: "cmsRun\(number)", stepStatus: step.exitCode)
        return step
    }

    /// GEN-SIM (kept) → DIGI (dropped) → RECO (kept), plus the job's log archive and wrapper stamp.
    static func chainReport() -> FrameworkJobReport {
        var report = FrameworkJobReport()
        report.wrapper = WrapperInfo(stepName: "cmsRun1", stepStatus: 0, siteName: "T1_X", jobName: "job-1", retry: 0)
        report.setSteps([
            step(1, inputs: ["MCFakeFile-1"], outputs: [output("GENSIMoutput", "/store/unmerged/a/GEN-SIM/1.root", inputs: ["MCFakeFile-1"])]),
            step(2, inputs: ["/store/unmerged/a/GEN-SIM/1.root"],
                 outputs: [output("RAWSIMoutput", "/store/unmerged/a/GEN-SIM-RAW/2.root", inputs: ["/store/unmerged/a/GEN-SIM/1.root"], kept: false)]),
            step(3, inputs: ["/store/unmerged/a/GEN-SIM-RAW/2.root"],
                 outputs: [output("AODSIMoutput", "/store/unmerged/a/AODSIM/3.root", inputs: ["/store/unmerged/a/GEN-SIM-RAW/2.root"]),
                           output("DQMoutput", "/store/unmerged/a/DQMIO/3.root", inputs: ["/store/unmerged/a/GEN-SIM-RAW/2.root"])]),
        ])
        report.outputFiles.append(output("logArchive", "/store/unmerged/logs/job-1-0-logArchive.tar.gz", inputs: []))
        report.parameters["Job"] = "level"
        return report
    }

    @Test func everyStepHasItsOwnSectionAndTheJobViewHoldsOnlyKeptOutputs() throws {
        let report = Self.chainReport()
        let xml = try report.xmlString()
        #expect(xml.components(separatedBy: "<FrameworkJobReport>").count - 1 == 4, "root + three step sections:\n\(xml)")
        #expect(xml.components(separatedBy: "<KeepOutput>false</KeepOutput>").count - 1 == 1)
        let again = try RoundTripTests.roundTrip(report)
        #expect(again == report)
        #expect(again.steps.map(\.wrapper.stepName) == ["cmsRun1", "cmsRun2", "cmsRun3"])
        #expect(again.steps.map { $0.parameters["CMSSWVersion"] } == ["CMSSW_14_0_1", "CMSSW_14_0_2", "CMSSW_14_0_3"])
        #expect(again.steps[2].inputFiles.map(\.lfn) == ["/store/unmerged/a/GEN-SIM-RAW/2.root"], "step 3 reads step 2's local output")
        #expect(again.outputModules == ["GENSIMoutput", "AODSIMoutput", "DQMoutput", "logArchive"], "no dropped output in the job view")
        #expect(again.inputFiles.map(\.lfn) == ["MCFakeFile-1"], "a local input is no input of the job")
        #expect(again.wrapper.jobName == "job-1" && again.parameters["Job"] == "level")
    }

    @Test func aStepErrorIsTheJobsExitCode() throws {
        var report = FrameworkJobReport()
        report.setSteps([Self.step(1, inputs: [], outputs: [Self.output("A", "/store/unmerged/a/A/1.root", inputs: [])]),
                         Self.step(2, inputs: ["/store/unmerged/a/A/1.root"], outputs: [],
                                   error: FrameworkError(exitStatus: 8021, type: "FileReadError", details: "bad"))])
        report.addError(FrameworkError(exitStatus: 60307, type: "StageOutFailure", details: "wrapper"))
        let again = try RoundTripTests.roundTrip(report)
        #expect(again.exitCode == 8021)
        #expect(again.errors.map(\.exitStatus) == [8021, 60307])
        #expect(again.steps[1].errors.map(\.exitStatus) == [8021] && again.steps[0].errors.isEmpty)
    }

    @Test func stageOutMovesAnOutputInItsStepToo() {
        var report = Self.chainReport()
        report.setPFN("/storage/store/unmerged/a/AODSIM/3.root", ofOutput: "/store/unmerged/a/AODSIM/3.root")
        #expect(report.steps[2].outputFiles[0].pfn == "/storage/store/unmerged/a/AODSIM/3.root")
        #expect(report.outputFiles(module: "AODSIMoutput").map(\.pfn) == ["/storage/store/unmerged/a/AODSIM/3.root"])
    }

    @Test func aLaterStepsParentIsTheNearestKeptAncestor() {
        let report = Self.chainReport()
        #expect(report.keptAncestors(ofOutput: "/store/unmerged/a/AODSIM/3.root") == ["/store/unmerged/a/GEN-SIM/1.root"])
        #expect(report.keptAncestors(ofOutput: "/store/unmerged/a/GEN-SIM/1.root") == nil, "step 1's parents are the job's inputs")
        #expect(FrameworkJobReport().keptAncestors(ofOutput: "/store/x.root") == nil)
    }

    @Test func aSingleStepReportIsWrittenAsBefore() throws {
        let single = RoundTripTests.richReport()
        let xml = try single.xmlString()
        #expect(xml.components(separatedBy: "<FrameworkJobReport>").count - 1 == 1)
        #expect(!xml.contains("KeepOutput"))
        #expect(try RoundTripTests.roundTrip(single).steps.isEmpty)
    }

    @Test func aSectionInsideASectionIsRefused() {
        let xml = "<FrameworkJobReport><FrameworkJobReport><FrameworkJobReport/></FrameworkJobReport></FrameworkJobReport>"
        guard case .invalidValue(_, _, let field, _, let expected)? = readError(xml) else {
            Issue.record("expected invalidValue, got \(String(describing: readError(xml)))"); return
        }
        #expect(field == "FrameworkJobReport" && expected.contains("directly inside the root"))
    }

    @Test func tooManySectionsAreRefused() {
        let xml = "<FrameworkJobReport>" + String(repeating: "<FrameworkJobReport/>", count: ReportLimits.stepSections + 1) + "</FrameworkJobReport>"
        guard case .invalidValue(_, _, let field, let value, _)? = readError(xml) else {
            Issue.record("expected invalidValue, got \(String(describing: readError(xml)))"); return
        }
        #expect(field == "FrameworkJobReport step sections" && value == "\(ReportLimits.stepSections + 1)")
        #expect(readError("<FrameworkJobReport>" + String(repeating: "<FrameworkJobReport/>", count: ReportLimits.stepSections) + "</FrameworkJobReport>") == nil)
    }

    @Test func aKeepOutputThatIsNotABooleanIsRefused() {
        let file = "<File><LFN>/store/a.root</LFN><PFN>a</PFN><Catalog/><ModuleLabel>A</ModuleLabel><GUID>g</GUID>"
            + "<OutputModuleClass>P</OutputModuleClass><TotalEvents>1</TotalEvents><BranchHash>h</BranchHash><KeepOutput>maybe</KeepOutput></File>"
        guard case .invalidValue(_, _, let field, let value, let expected)? = readError("<FrameworkJobReport>\(file)</FrameworkJobReport>") else {
            Issue.record("expected invalidValue"); return
        }
        #expect(field == "File/KeepOutput" && value == "maybe" && expected == "true or false")
    }
}
