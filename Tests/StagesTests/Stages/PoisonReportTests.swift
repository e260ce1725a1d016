import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WorkerRuntime
@testable import WMCore

/// Issue 17 (poison reports and path escape): a report with a number out of range or an LFN that is not an LFN fails
/// its job with the accountant's bad-report code (99997) and a reason naming the report file, the field, the value
/// and what is allowed; nothing of it is recorded; a good job in the same cycle is accounted as usual. A PFN is
/// derived from the LFN, so nothing outside the spool and the storage is read or deleted.
@Suite struct PoisonReportTests {
    typealias F = AccountingFixture

    @Test(arguments: [
        ("events", "File/TotalEvents", "9223372036854775000"),
        ("nevents", "NEvents", "9223372036854775000"),
        ("size", "File/Size", "-1000"),
        ("run", "Run ID", "-1"),
        ("lumi", "LumiSection ID", "0"),
        ("nan", "PeakValueRss", "NaN"),
        ("inf", "PeakValueRss", "1e999"),
    ])
    func aPoisonReportFailsItsJobAndTheGoodJobBesideItSucceeds(poison: String, field: String, value: String) throws {
        let f = try F("poison-\(poison)")
        let good = try f.completeJob("good")
        try f.completeJob("bad") { report in
            switch poison {
            case "events": report.outputFiles[0].events = 9_223_372_036_854_775_000
            case "nevents": report.outputFiles[0].runs = RunLumiMap([1: [1: 9_223_372_036_854_775_000]])
            case "size": report.outputFiles[0].size = -1000
            case "run": report.outputFiles[0].runs = RunLumiMap([-1: [1: 5]])
            case "lumi": report.outputFiles[0].runs = RunLumiMap([1: [0: 5]])
            default: report.performanceSummaries = [PerformanceSummary(metric: "ApplicationMemory",
                                                                        metrics: [NamedMetric(name: "PeakValueRss", value: value)])]
            }
        }
        _ = try AccountantStage().runCycle(f.context())

        #expect(f.state(of: "bad") == .jobfailed)
        let bad = try f.job("bad")
        #expect(bad.exitCodes == [ExitCodes.accountantUnloadableReport])
        let reason = bad.history.last?.reason ?? ""
        #expect(reason.contains("Report.0.xml") && reason.contains(field) && reason.contains(value) && reason.contains("expected"),
                "\(reason)")
        // The good job's output, with its events, is recorded for the merge; nothing of the bad one is.
        #expect(f.state(of: "good") == .success)
        let recorded = try WMBSStore(spool: f.spool).files(f.workflow, F.merge, in: .available).map(\.file)
        #expect(recorded.map(\.lfn) == good)
        #expect(recorded.map(\.events) == [10])
        let records = try AccountingRecords.read(spool: f.spool, workflow: f.workflow)
        #expect(records.first { $0.job == "bad" }?.outputs.isEmpty == true)
    }

    /// The path escape: an output LFN `/store/unmerged/../../…/<canary>` with the matching PFN. The job fails,
    /// the LFN reaches no merge and no cleanup, and the canary outside the spool is neither read nor deleted.
    @Test func anEscapingLFNFailsItsJobAndTheCanaryOutsideTheSpoolSurvives() throws {
        let f = try F("poison-escape")
        let outside = TestSupport.temporaryDirectory("poison-canary")
        let canary = outside + "/x.root"
        let escape = "/store/unmerged" + String(repeating: "/..", count: 64) + canary
        let prefix = f.spool.path("storage/\(f.pnn)")
        let good = try f.completeJob("good")
        try f.completeJob("escape", outputs: [.init(lfn: escape, pfn: prefix + escape)])
        try Data("CANARY".utf8).write(to: URL(fileURLWithPath: canary))  // the fixture "wrote" the job's output there
        _ = try AccountantStage().runCycle(f.context())

        #expect(f.state(of: "escape") == .jobfailed)
        let job = try f.job("escape")
        #expect(job.exitCodes == [ExitCodes.accountantUnloadableReport])
        let reason = job.history.last?.reason ?? ""
        #expect(reason.contains("File/LFN") && reason.contains(escape) && reason.contains("'..' component"), "\(reason)")
        #expect(try f.fileKeys(F.merge, .available) == [FileKey.of(good[0])])
        #expect(try f.fileKeys(F.cleanup, .available) == [FileKey.of(good[0])])
        #expect(try String(contentsOfFile: canary, encoding: .utf8) == "CANARY")
    }

    /// A report whose PFN is not the one derived from its LFN on the job's storage node has no location (99996), even
    /// when the PFN names another storage node under the spool: the report never chooses where a file is.
    @Test func aReportedPFNIsComparedNeverUsed() throws {
        let f = try F("poison-pfn")
        try f.completeJob("elsewhere", outputs: [.init(pfn: f.spool.path("storage/T1_US_FNAL_Disk") + "/store/unmerged/Era/PD/RECO/Proc-v1/00000/a.root",
                                                        )]) { report in
            report.outputFiles[0].lfn = "/store/unmerged/Era/PD/RECO/Proc-v1/00000/a.root"
        }
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "elsewhere") == .jobfailed)
        let job = try f.job("elsewhere")
        #expect(job.exitCodes == [AccountingFailure.inconsistentReportCode])
        let reason = job.history.last?.reason ?? ""
        #expect(reason.contains("has no location") && reason.contains(f.spool.path("storage/\(f.pnn)")), "\(reason)")
        #expect(try f.fileKeys(F.merge, .available).isEmpty)
    }

    /// Second line of defence: a cleanup or merge step whose input could leave the storage reads and deletes nothing.
    @Test(arguments: [StepMode.cleanup, StepMode.merge, StepMode.logCollect])
    func aStepRefusesAnInputOutsideTheStorage(mode: StepMode) throws {
        let root = TestSupport.temporaryDirectory("poison-step")
        let canary = TestSupport.temporaryDirectory("poison-step-canary") + "/x.root"
        try Data("CANARY".utf8).write(to: URL(fileURLWithPath: canary))
        let lfn = "/store/unmerged" + String(repeating: "/..", count: 64) + canary
        let input = StepInput(lfn: lfn, pfn: root + "/storage/T2_CH_CERN" + lfn, guid: "x")
        let output = StepOutput(label: "Merged", lfn: "/store/data/a/B/RECO/v1/000/out.root", guid: "out",
                                localFile: "out.root", dataTier: "RECO")
        let config = StepConfig(mode: mode, workflow: "wf", taskPath: "/wf/T", jobName: "j", retry: 0,
                                inputs: [input], outputs: [output])
        #expect(input.confinementProblem != nil)
        #expect(throws: StepFailure.self) { try StepExecution(config: config, directory: root).run() }
        do { _ = try StepExecution(config: config, directory: root).run() } catch {
            #expect(error.code == RuntimeExitCodes.cmsException && error.type == "UnconfinedInput")
            #expect(error.details.contains("step.inputs[0]") && error.details.contains("'..' component"))
        }
        #expect(try String(contentsOfFile: canary, encoding: .utf8) == "CANARY")
        #expect(!FileManager.default.fileExists(atPath: root + "/out.root"))
    }

    /// A log archive's LFN holds the job's whole task path (WMCore's LogArchive), so the merges deep in a TaskChain pass
    /// DBS's 500 characters (TC_6Tasks_PU's Task4 merge failed its five attempts on it and took Task5/Task6 with it):
    /// a log archive may reach `LFNRule.maxLogArchiveLength`; a data output stays within 500, a log archive within that.
    @Test(arguments: [("logArchive", 600, JobState.success), ("logArchive", 2100, .jobfailed), ("RECOoutput", 600, .jobfailed)])
    func aLogArchiveLFNMayBeLongerThanADataOutputs(module: String, length: Int, outcome: JobState) throws {
        let f = try F("long-\(module)-\(length)")
        try f.completeJob("long") { report in
            guard let index = report.outputFiles.firstIndex(where: { $0.moduleLabel == module }) else { return }
            // Components of 100 characters (a file name stays below NAME_MAX), then the file's own name.
            let name = "/long-" + module + ".root"
            let deep = String(repeating: "/" + String(repeating: "t", count: 99), count: (length - 15 - name.count) / 100)
            let lfn = "/store/unmerged" + deep + String(repeating: "x", count: max(0, length - 15 - deep.count - name.count)) + name
            let pfn = f.spool.path("storage/\(f.pnn)") + lfn
            try? f.write(bytes: 100, to: pfn)
            report.outputFiles[index].lfn = lfn
            report.outputFiles[index].pfn = pfn
        }
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "long") == outcome)
        if outcome == .jobfailed {
            let reason = try f.job("long").history.last?.reason ?? ""
            let limit = module == "logArchive" ? LFNRule.maxLogArchiveLength : LFNRule.maxLength
            #expect(reason.contains("File/LFN (module \(module))") && reason.contains("\(length) characters, more than \(limit)"), "\(reason)")
        }
    }

    @Test func theLFNRuleFollowsCMS() {
        for good in ["/store/unmerged/Era/PD/RECO/Proc-v1/00000/A-B_c.root", "/store/data/Run2016B/x/AOD/v2/000/273/150/00000/F.root",
                     "/store/unmerged/logs/prod/2024/1/1/wf/Proc/0000/0/j-0-logArchive.tar.gz"] {
            #expect(LFNRule.problem(good) == nil, "\(good)")
        }
        for bad in ["/store/unmerged/../../tmp/x.root", "/store//x.root", "/store/./x.root", "/tmp/x.root", "/store/a b.root",
                    "/store/a\u{7}.root", "/store/x/", "store/x.root", "/store/" + String(repeating: "a", count: 600)] {
            #expect(LFNRule.problem(bad) != nil, "\(bad)")
        }
        #expect(LFNRule.confinementProblem("/store/unmerged/$(id)/a b/'q'/x.root") == nil)
        #expect(LFNRule.confinementProblem("/store/unmerged/../x.root") != nil)
    }
}
