import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Commands
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// A spool with one workflow's WMBS (a Processing task with output `RECOoutput`, its Merge, CleanupUnmerged and
/// LogCollect subscriptions and filesets), plus helpers that place completed jobs with real reports.
struct AccountingFixture {
    let spool: Spool
    let jobs: DocumentArea<JobBody>
    let clock = TestClock()
    let lines = LogCapture()
    let workflow = "wf"
    let pnn = "T2_CH_CERN"
    static let processing = "Proc", merge = "ProcMergeRECOoutput", cleanup = "ProcCleanupUnmergedRECOoutput"
    static let logCollect = "ProcLogCollect"
    static let unmergedFileset = FilesetNaming.unmerged(taskPath: "/wf/Proc", module: "RECOoutput", tier: "RECO")
    static let mergedFileset = FilesetNaming.merged(mergePath: "/wf/Proc/ProcMergeRECOoutput", tier: "RECO")
    static let logFileset = FilesetNaming.logArchive(taskPath: "/wf/Proc")
    static let unmergedBase = "/store/unmerged/Era/PD/RECO/Proc-v1"
    static let mergedBase = "/store/data/Era/PD/RECO/Proc-v1"
    static let dataset = "/PD/Era-Proc-v1/RECO"

    init(_ label: String, durability: Durability = .none, minMergeSize: Int? = nil) throws {
        spool = try Spool(root: TestSupport.temporaryDirectory(label), durability: durability)
        jobs = Areas.jobs(spool)
        try jobs.ensureFolders()
        let unmergedSpec = JobOutputSpec(dataTier: "RECO", dataset: Self.dataset, lfnBase: Self.unmergedBase, merged: false)
        let mergedSpec = JobOutputSpec(dataTier: "RECO", dataset: Self.dataset, lfnBase: Self.mergedBase, merged: true)
        let subs = [
            Subscription(name: Self.processing, workflow: workflow, task: "/wf/Proc", taskType: "Processing",
                         inputFileset: "wf-Proc", algorithm: "FileBased",
                         outputs: ["RECOoutput": SubscriptionOutput(spec: unmergedSpec, unmergedFilesets: [Self.unmergedFileset],
                                                                    mergedFilesets: [Self.mergedFileset], minMergeSize: minMergeSize)]),
            Subscription(name: Self.merge, workflow: workflow, task: "/wf/Proc/ProcMergeRECOoutput", taskType: "Merge",
                         inputFileset: Self.unmergedFileset, algorithm: "ParentlessMergeBySize",
                         outputs: ["Merged": SubscriptionOutput(spec: mergedSpec, mergedFilesets: [Self.mergedFileset])]),
            Subscription(name: Self.cleanup, workflow: workflow, task: "/wf/Proc/ProcCleanupUnmergedRECOoutput", taskType: "Cleanup",
                         inputFileset: Self.unmergedFileset, algorithm: "SiblingProcessingBased"),
            Subscription(name: Self.logCollect, workflow: workflow, task: "/wf/Proc/ProcLogCollect", taskType: "LogCollect",
                         inputFileset: Self.logFileset, algorithm: "MinFileBased"),
        ]
        let filesets = [
            Fileset(name: "wf-Proc", consumers: [Self.processing]),
            Fileset(name: Self.unmergedFileset, producers: [Self.processing], consumers: [Self.merge, Self.cleanup], parent: "wf-Proc"),
            Fileset(name: Self.mergedFileset, producers: [Self.merge, Self.processing], parent: Self.unmergedFileset),
            Fileset(name: Self.logFileset, producers: [Self.processing], consumers: [Self.logCollect], parent: "wf-Proc"),
        ]
        let store = WMBSStore(spool: spool)
        try spool.inBatch { try store.create(workflow: workflow, subscriptions: subs, filesets: filesets, in: $0) }
        try store.markInjected(workflow)
    }

    /// A stage context on the fixture's spool, clock and log capture.
    func context(batch: Int = 500) -> StageContext {
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        options.batchSize = batch
        let clock = self.clock
        return StageContext(spool: spool, options: options, log: Logger(component: "test", sink: lines.append), now: { clock.now })
    }

    /// One output file a test job writes.
    struct Output {
        var module = "RECOoutput"
        var guid = UUID().uuidString
        var size = 1000
        var events = 10
        var lfn: String?
        var pfn: String?
    }

    /// Places a job in `jobs/complete` with its work directory: `runtime.json` and (unless `report` is nil) a
    /// report with `outputs` written to storage and a log tarball.
    @discardableResult
    func completeJob(_ name: String, subscription: String = AccountingFixture.processing, retry: Int = 0,
                     outputs: [Output] = [Output()], errorCode: Int? = nil, skipped: [String] = [],
                     runtime: String? = nil, report customize: ((inout FrameworkJobReport) -> Void)? = nil,
                     writeReport: Bool = true, reportText: String? = nil) throws -> [String] {
        let store = WMBSStore(spool: spool)
        let sub = try #require(try store.subscription(workflow, subscription))
        let input = SplitFile(lfn: "/store/data/Era/PD/RAW/v1/000/\(name).root", size: 5000, events: 100,
                              locations: [pnn], runs: [FileRun(run: 1, lumis: [1, 2])])
        let skippedInputs = skipped.map { SplitFile(lfn: $0, size: 10, events: 5, locations: [pnn], runs: [FileRun(run: 1, lumis: [3])]) }
        var job = JobDocument(JobBody(name: name, workflow: workflow, task: sub.task, taskType: sub.taskType, subscription: subscription,
                                      inputFiles: [input] + skippedInputs, outputs: sub.outputs.mapValues(\.spec)))
        job.retryCount = retry
        try job.transition(to: .created, actor: "t", reason: "", at: clock.now)
        try job.transition(to: .executing, actor: "t", reason: "", at: clock.now)
        try job.transition(to: .complete, actor: "t", reason: "", at: clock.now)
        // As the job creator leaves them: the job's input files in its own acquired document.
        try spool.publish(WMBSStore.encodeFiles([input] + skippedInputs), as: WMBSStore.jobBundleName(name),
                          in: store.fileFolder(workflow, subscription, .acquired))
        let work = JobWorkDirectory(spool: spool, workflow: workflow, job: name, retry: retry)
        try SystemCall.makeDirectories(work.path)
        let runtimeText = runtime ?? #"{"pnn": "\#(pnn)", "site": "T2_CH_CERN"}"#
        try Data(runtimeText.utf8).write(to: URL(fileURLWithPath: work.path + "/runtime.json"))
        var lfns: [String] = []
        if let reportText {
            try Data(reportText.utf8).write(to: URL(fileURLWithPath: work.reportPath))
        } else if writeReport {
            var report = FrameworkJobReport()
            report.inputFiles = [InputFile(lfn: input.lfn, pfn: "file:" + input.lfn, guid: "IN", events: 100,
                                           runs: RunLumiMap(lumisByRun: [1: [1, 2]]))]
            for output in outputs {
                let spec = sub.outputs[output.module]?.spec
                let lfn = output.lfn ?? "\(spec?.lfnBase ?? "/store/unmerged/x")/00000/\(output.guid).root"
                let pfn = output.pfn ?? spool.path("storage/\(pnn)") + lfn
                try write(bytes: output.size, to: pfn)
                report.outputFiles.append(OutputFile(moduleLabel: output.module, lfn: lfn, pfn: pfn, guid: output.guid,
                                                     events: output.events, branchHash: "h",
                                                     runs: RunLumiMap([1: [1: output.events / 2, 2: output.events - output.events / 2]]),
                                                     inputs: [FileReference(lfn: input.lfn, pfn: nil)],
                                                     size: output.size, adler32: "0000abcd", cksum: "1234"))
                lfns.append(lfn)
            }
            let logLFN = "/store/unmerged/logs/prod/2024/1/1/wf/Proc/00000/\(retry)/\(name)-\(retry)-logArchive.tar.gz"
            let logPFN = spool.path("storage/\(pnn)") + logLFN
            try write(bytes: 100, to: logPFN)
            report.outputFiles.append(OutputFile(moduleLabel: "logArchive", lfn: logLFN, pfn: logPFN, guid: "LOG",
                                                 outputModuleClass: "LogArchive", events: 0, branchHash: "", size: 100,
                                                 adler32: "00000001", cksum: "1"))
            report.skippedFiles = skipped.map { FileReference(lfn: $0, pfn: nil) }
            report.wrapper = WrapperInfo(stepStatus: 0, siteName: "T2_CH_CERN", startTime: 1000, stopTime: 1100,
                                         jobName: name, retry: retry)
            report.performanceSummaries = [PerformanceSummary(metric: "ApplicationMemory", metrics: [NamedMetric(name: "PeakValueRss", value: "512.5")]),
                                           PerformanceSummary(metric: "Timing", metrics: [NamedMetric(name: "TotalJobTime", value: "95.0")])]
            if let errorCode {
                report.addError(FrameworkError(exitStatus: errorCode, details: "test failure \(errorCode)"))
            }
            customize?(&report)
            try report.xmlData().write(to: URL(fileURLWithPath: work.reportPath))
        }
        try spool.publish(try jobs.encode(job), as: name + ".json", in: "jobs/complete")
        return lfns
    }

    func write(bytes: Int, to path: String) throws {
        try SystemCall.makeDirectories((path as NSString).deletingLastPathComponent)
        try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Keys of files in a subscription folder.
    func fileKeys(_ subscription: String, _ state: FileState) throws -> Set<String> {
        try WMBSStore(spool: spool).fileKeys(workflow, subscription, in: state)
    }

    func state(of name: String) -> JobState? {
        JobState.allCases.first { SystemCall.exists(spool.path("jobs/\($0.rawValue)/\(name).json")) }
    }

    func job(_ name: String) throws -> JobDocument {
        guard let state = state(of: name), case .document(let doc) = try jobs.load(name, in: state) else {
            throw DocumentProblem("\(name) not found")
        }
        return doc
    }
}
