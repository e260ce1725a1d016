// wm-bench-accountant: reports accounted per second by wm-accountant's cycle on N synthetic jobs, each with a
// real framework job report (two outputs and a log tarball), on a fresh spool (durability full by default).
//
// Usage: wm-bench-accountant [--jobs N] [--batch B] [--durability full|none] [--dir PATH] [--spares N] [--json]
//
// The spool starts with 10 spare inodes per job (`--spares`, at most 65,536), the pool an agent holds after
// running as many jobs: each job's life returns 10 inodes to `.spare/` (its replaced documents and, from the job
// archiver, its work files; measured: `wmagent bench --jobs 4000 --keep` leaves 40,000). `--spares 0` measures
// a cold spool, where every new document allocates an inode (slow on ext4 without a journal for minutes after
// mass deletions, e.g. right after another benchmark removed its spool).
import Foundation
import FrameworkJobReport
import JobSplitting
import SpoolKit
import Benchmarks
import Commands
import SpoolLayout
import Stages
import WMCore

struct Options {
    var jobs = 5000
    var batch = 500
    var durability = Durability.full
    var directory = NSTemporaryDirectory() + "wm-bench-accountant-\(getpid())"
    var json = false
    var spares: Int?

    /// The command line.
    static let spec = CommandSpec(
        "wm-bench-accountant", summary: "reports accounted per second by wm-accountant's cycle on synthetic jobs (run a release build)",
        options: [CommandOption("jobs", .integer(1...10_000_000), help: "synthetic jobs (default 5000)"),
                  CommandOption("batch", .integer(1...100_000), help: "documents per batch (default 500)"),
                  CommandOption("durability", .choice(["full", "none"]), help: "spool durability (default full)"),
                  CommandOption("dir", .text("PATH"), help: "where the spool is made (default: a temporary folder)"),
                  CommandOption("spares", .integer(0...65_536), help: "spare inodes at start (default 10 per job)"),
                  .flag("json", help: "print JSON")])

    init(_ arguments: [String]) {
        let parsed: ParsedCommand
        do { parsed = try Self.spec.parse(arguments) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) } catch { fail("\(error)") }
        jobs = parsed.integer("jobs") ?? jobs
        batch = parsed.integer("batch") ?? batch
        durability = parsed.text("durability").flatMap(Durability.init(rawValue:)) ?? durability
        directory = parsed.text("dir") ?? directory
        json = parsed.flag("json")
        spares = parsed.integer("spares")
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("wm-bench-accountant: \(message)\n".utf8))
    exit(64)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let workflow = "BenchWF", pnn = "T2_CH_CERN"
let spool = try Spool(root: options.directory, durability: options.durability)
let store = WMBSStore(spool: spool)
let modules = ["RECOoutput": "RECO", "AODoutput": "AOD"]
var outputs: [String: SubscriptionOutput] = [:]
var filesets = [Fileset(name: "BenchWF-Proc", open: false, consumers: ["Proc"])]
var subscriptions: [Subscription] = []
for (module, tier) in modules {
    let spec = JobOutputSpec(dataTier: tier, dataset: "/PD/Era-Proc-v1/\(tier)", lfnBase: "/store/unmerged/Era/PD/\(tier)/Proc-v1", merged: false)
    let unmerged = FilesetNaming.unmerged(taskPath: "/BenchWF/Proc", module: module, tier: tier)
    let merged = FilesetNaming.merged(mergePath: "/BenchWF/Proc/ProcMerge\(module)", tier: tier)
    outputs[module] = SubscriptionOutput(spec: spec, unmergedFilesets: [unmerged], mergedFilesets: [merged], minMergeSize: 2_000_000_000)
    filesets.append(Fileset(name: unmerged, producers: ["Proc"], consumers: ["ProcMerge\(module)", "ProcCleanup\(module)"], parent: "BenchWF-Proc"))
    filesets.append(Fileset(name: merged, producers: ["ProcMerge\(module)"], parent: unmerged))
    let mergedSpec = JobOutputSpec(dataTier: tier, dataset: spec.dataset, lfnBase: "/store/data/Era/PD/\(tier)/Proc-v1", merged: true)
    subscriptions.append(Subscription(name: "ProcMerge\(module)", workflow: workflow, task: "/BenchWF/Proc/ProcMerge\(module)", taskType: TaskType.merge.rawValue,
                                      inputFileset: unmerged, algorithm: "ParentlessMergeBySize",
                                      outputs: ["Merged": SubscriptionOutput(spec: mergedSpec, mergedFilesets: [merged])]))
    subscriptions.append(Subscription(name: "ProcCleanup\(module)", workflow: workflow, task: "/BenchWF/Proc/ProcCleanup\(module)", taskType: TaskType.cleanup.rawValue,
                                      inputFileset: unmerged, algorithm: "SiblingProcessingBased"))
}
filesets.append(Fileset(name: FilesetNaming.logArchive(taskPath: "/BenchWF/Proc"), producers: ["Proc"], consumers: ["ProcLogCollect"], parent: "BenchWF-Proc"))
subscriptions.append(Subscription(name: "Proc", workflow: workflow, task: "/BenchWF/Proc", taskType: TaskType.processing.rawValue,
                                  inputFileset: "BenchWF-Proc", algorithm: "FileBased", outputs: outputs))
subscriptions.append(Subscription(name: "ProcLogCollect", workflow: workflow, task: "/BenchWF/Proc/ProcLogCollect", taskType: TaskType.logCollect.rawValue,
                                  inputFileset: FilesetNaming.logArchive(taskPath: "/BenchWF/Proc"), algorithm: "MinFileBased"))
try spool.inBatch { try store.create(workflow: workflow, subscriptions: subscriptions, filesets: filesets, in: $0) }

// Synthetic jobs in jobs/complete, each with runtime.json and a real report (outputs listed, files not written:
// the accountant reads reports, not payloads, except for straight-to-merge moves, which these files avoid).
let jobs = Areas.jobs(spool)
try jobs.ensureFolders()
let setupStart = SystemCall.now()
var batch = SpoolBatch(spool: spool)
for n in 0..<options.jobs {
    let name = "bench-Proc-\(String(format: "%06d", n))"
    let input = SplitFile(lfn: "/store/data/Era/PD/RAW/v1/000/\(n).root", size: 1 << 30, events: 1000, locations: [pnn],
                          runs: [FileRun(run: 1, lumis: [n + 1])])
    var job = JobDocument(JobBody(name: name, workflow: workflow, task: "/BenchWF/Proc", taskType: TaskType.processing.rawValue, subscription: "Proc",
                                  inputFiles: [input], outputs: outputs.mapValues(\.spec)))
    try job.transition(to: .created, actor: "bench", reason: "", at: 0)
    try job.transition(to: .executing, actor: "bench", reason: "", at: 0)
    try job.transition(to: .complete, actor: "bench", reason: "", at: 0)
    let work = JobWorkDirectory(spool: spool, workflow: workflow, job: name, retry: 0)
    try SystemCall.makeDirectories(work.path)
    try Data(#"{"pnn": "T2_CH_CERN", "site": "T2_CH_CERN"}"#.utf8).write(to: URL(fileURLWithPath: work.path + "/runtime.json"))
    var report = FrameworkJobReport()
    report.inputFiles = [InputFile(lfn: input.lfn, pfn: "file:/in", guid: "IN", events: 1000, runs: RunLumiMap(lumisByRun: [1: [n + 1]]))]
    for (module, tier) in modules.sorted(by: { $0.key < $1.key }) {
        let lfn = "/store/unmerged/Era/PD/\(tier)/Proc-v1/00000/\(UUID().uuidString).root"
        report.outputFiles.append(OutputFile(moduleLabel: module, lfn: lfn, pfn: spool.path(Layout.storage(pnn)) + lfn, guid: "G", events: 1000,
                                             branchHash: "h", runs: RunLumiMap([1: [n + 1: 1000]]), inputs: [FileReference(lfn: input.lfn, pfn: nil)],
                                             size: 100_000_000, adler32: "0badcafe", cksum: "12345"))
    }
    let log = "/store/unmerged/logs/prod/2025/1/1/BenchWF/Proc/00000/0/\(name)-0-logArchive.tar.gz"
    report.outputFiles.append(OutputFile(moduleLabel: "logArchive", lfn: log, pfn: spool.path(Layout.storage(pnn)) + log, guid: "L",
                                         outputModuleClass: "LogArchive", events: 0, branchHash: "", size: 1000, adler32: "00000001", cksum: "1"))
    report.wrapper = WrapperInfo(stepStatus: 0, siteName: pnn, startTime: 1000, stopTime: 4600, jobName: name, retry: 0)
    report.performanceSummaries = [PerformanceSummary(metric: "ApplicationMemory", metrics: [NamedMetric(name: "PeakValueRss", value: "1800.5")])]
    try report.xmlData().write(to: URL(fileURLWithPath: work.reportPath))
    try batch.publish(try jobs.encode(job), as: name + ".json", in: Layout.jobs(.complete))
    if batch.pendingCount >= 1000 { try batch.commit(); batch = SpoolBatch(spool: spool) }
}
try batch.commit()
let spares = try spool.spares.reserve(options.spares ?? 10 * options.jobs)
let setupSeconds = SystemCall.now() - setupStart

var stageOptions = StageOptions(environment: [:])
stageOptions.spoolPath = spool.root
stageOptions.batchSize = options.batch
final class PhaseTotals: @unchecked Sendable {
    var milliseconds: [String: Int] = [:]
    /// Adds the `<phase>Ms=<n>` fields of a batch log line.
    func add(_ line: String) {
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=")
            if parts.count == 2, parts[0].hasSuffix("Ms"), let n = Int(parts[1]) { milliseconds[String(parts[0]), default: 0] += n }
        }
    }
}
let phases = PhaseTotals()
let context = StageContext(spool: spool, options: stageOptions, log: Logger(component: "bench", sink: phases.add))
/// User + system CPU seconds of this process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
let start = SystemCall.now(), cpuStart = cpuSeconds()
let result = try AccountantStage().runCycle(context)
let seconds = SystemCall.now() - start, cpu = cpuSeconds() - cpuStart
let succeeded = try spool.scan(Layout.jobs(.success)).names.count
let rate = Double(result.done) / seconds
if options.json {
    print(#"{"jobs": \#(options.jobs), "accounted": \#(result.done), "succeeded": \#(succeeded), "batch": \#(options.batch), "durability": "\#(options.durability.rawValue)", "seconds": \#(seconds), "reportsPerSecond": \#(Int(rate)), "cpuSeconds": \#(cpu), "reportsPerCPUSecond": \#(Int(Double(result.done) / cpu)), "sparesAtStart": \#(spares)}"#)
} else {
    print("wm-bench-accountant: \(result.done) of \(options.jobs) reports accounted (\(succeeded) success) in \(String(format: "%.2f", seconds)) s "
          + "= \(Int(rate)) reports/s (batch \(options.batch), durability \(options.durability.rawValue); setup \(String(format: "%.1f", setupSeconds)) s; "
          + "\(spares) spare inodes at start)")
    print("CPU (user + system): \(String(format: "%.2f", cpu)) s = \(Int(Double(result.done) / cpu)) reports per CPU-second")
    print("phases (ms): " + ["loadMs", "planMs", "effectsMs", "moveMs"].map { "\($0.dropLast(2)) \(phases.milliseconds[$0] ?? 0)" }.joined(separator: ", "))
    print("reference: WMCore's JobAccountant manages about 10,000 jobs/hour (≈ 2.8/s); target ≥ 1,000/s")
}
try? FileManager.default.removeItem(atPath: options.directory)
