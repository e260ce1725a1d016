import EventFiles
import Foundation
import FrameworkJobReport
import JobSplitting
import TestSupport
@testable import SpoolLayout
@testable import WMCore

/// A temporary spool with a storage node, and helpers to run jobs through the real `wm-runjob`.
struct RuntimeFixture {
    /// The spool root.
    let spool: String
    /// The storage node all jobs use.
    let pnn = "T2_CH_CERN"

    init(_ label: String) {
        spool = TestSupport.temporaryDirectory(label)
    }

    /// The storage prefix of the node.
    var storagePrefix: String { spool + "/storage/" + pnn }

    /// The PFN of an LFN on the node.
    func pfn(_ lfn: String) -> String { storagePrefix + lfn }

    /// A job document with sensible defaults.
    func job(_ name: String, type: String, workflow: String = "TestWorkflow", task: String? = nil,
             inputs: [String] = [], mask: JobMask = JobMask(), outputs: [String: JobOutputSpec] = [:],
             baggage: [String: JSONValue] = [:]) -> JobBody {
        JobBody(name: name, workflow: workflow, task: task ?? "/\(workflow)/\(type)Task", taskType: type,
                subscription: "sub", inputFiles: inputs.map { SplitFile(lfn: $0, locations: [pnn]) }, mask: mask,
                possibleSites: [pnn], estimatedTime: 600, baggage: baggage, outputs: outputs)
    }

    /// One output spec.
    static func spec(_ tier: String, base: String, filter: UInt64 = 0) -> JobOutputSpec {
        JobOutputSpec(dataTier: tier, dataset: "/PD/Era-v1/\(tier)", lfnBase: base, merged: false, filterMask: filter)
    }

    /// What one wrapper run left.
    struct Run {
        let status: Int32
        let stderr: String
        let workDirectory: String
        let report: FrameworkJobReport?
        /// The first output file of a module.
        func output(_ module: String) -> OutputFile? { report?.outputFiles(module: module).first }
    }

    /// Writes the work directory (`job.json`, `runtime.json`) and runs `wm-runjob` on it.
    func run(_ job: JobBody, runtime: JobRuntime? = nil, rawJob: String? = nil) throws -> Run {
        let workDirectory = spool + "/" + JobWorkDirectory.workflowFolder(job.workflow) + "/" + JobWorkDirectory.folderName(job: job.name, retry: job.retryCount)
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let jobData = try rawJob.map { Data($0.utf8) } ?? JSONEncoder().encode(job)
        try jobData.write(to: URL(fileURLWithPath: workDirectory + "/job.json"))
        let runtime = runtime ?? JobRuntime(spool: spool, site: pnn, pnn: pnn)
        try JSONEncoder().encode(runtime).write(to: URL(fileURLWithPath: workDirectory + "/runtime.json"))
        let result = try TestSupport.run(TestSupport.executable("wm-runjob"), ["--job", workDirectory + "/job.json"])
        let reportURL = URL(fileURLWithPath: workDirectory + "/Report.\(job.retryCount).xml")
        let report = try? FrameworkJobReportReader().read(contentsOf: reportURL)
        return Run(status: result.status, stderr: result.stderr, workDirectory: workDirectory, report: report)
    }

    /// A Production job's mask: events `first...last` from lumi `firstLumi` to `lastLumi`.
    static func productionMask(_ first: Int, _ last: Int, lumis: ClosedRange<Int>) -> JobMask {
        JobMask(firstEvent: first, lastEvent: last, firstLumi: lumis.lowerBound, lastLumi: lumis.upperBound, firstRun: 1, lastRun: 1)
    }

    /// A baggage `faults` plan that always injects `fault`.
    static func always(_ fault: Fault) -> [String: JSONValue] {
        let plan = FaultPlan(seed: 1, rules: [FaultRule(probability: 1, fault: fault)])
        let json = try! JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(plan))
        return ["faults": json]
    }
}

/// The events of an event file as (run, lumi, event).
func eventsIn(_ path: String) throws -> [EventKey] {
    var keys: [EventKey] = []
    try EventListing.events(in: path) { keys.append(EventKey(run: $0, lumi: $1, event: $2)) }
    return keys
}

/// One event's identity.
struct EventKey: Hashable {
    let run: UInt32
    let lumi: UInt32
    let event: UInt64
}
