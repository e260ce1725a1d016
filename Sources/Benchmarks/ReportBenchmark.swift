import Agent
import Commands
import Foundation
import JobSplitting
import Operator
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wm-bench-report`: the time to build and publish the operations pages of a spool with many closed requests and
/// archived jobs, synthesized straight into the spool (not run through the pipeline): request documents in
/// `requests/completed/`, their workflow summaries (with failed attempts), and job documents in
/// `archive/jobs/<Y>/<M>/<D>/` with the history of a successful job.
///
/// It times the first build (every archived job read, digests made), a second one (digests reused), and one after
/// more jobs were archived into the last day (only those read).
public enum ReportBenchmark {
    /// What to synthesize.
    public struct Settings: Sendable {
        /// Requests (all completed).
        public var requests = 1000
        /// Archived jobs, spread evenly over the requests.
        public var archivedJobs = 1_000_000
        /// Jobs archived into the last day before the incremental build.
        public var addedJobs = 1000
        /// Where the spool is made (must not exist).
        public var directory: String
        /// Leave the spool behind.
        public var keep = false

        /// Settings for a spool made in `directory`.
        public init(directory: String) { self.directory = directory }
    }

    /// The measurements.
    public struct Result: Codable, Sendable {
        /// Requests in the spool.
        public var requests: Int
        /// Archived job documents in the spool.
        public var archivedJobs: Int
        /// Archive day folders.
        public var archiveDays: Int
        /// Pages published (index pages and request pages).
        public var pages: Int
        /// Seconds to synthesize the spool.
        public var synthesizeSeconds: Double
        /// Seconds of the first build and publish (every archived job read, digests made).
        public var coldSeconds: Double
        /// Seconds of the second (nothing changed: digests reused, unchanged pages not rewritten).
        public var warmSeconds: Double
        /// Pages the second wrote.
        public var warmPagesWritten: Int
        /// Seconds of a build after `addedJobs` more jobs were archived into the last day (only they are read).
        public var incrementalSeconds: Double
        /// Jobs added before it.
        public var addedJobs: Int
    }

    /// The first time synthesized jobs start (seconds since the epoch).
    static let start = 1_780_000_000.0

    /// Synthesizes the spool, times the builds, removes the spool unless `keep`.
    public static func run(_ settings: Settings) throws -> Result {
        guard !FileManager.default.fileExists(atPath: settings.directory) else {
            throw CommandFailure(.cantCreate, "wm-bench-report: '\(settings.directory)' exists; name a folder that does not")
        }
        defer { if !settings.keep { try? FileManager.default.removeItem(atPath: settings.directory) } }
        _ = try AgentSpool.initialize(at: settings.directory)
        let spool = try Spool(root: settings.directory, durability: .none)
        let t0 = WallClock.now()
        let perRequest = max(1, settings.archivedJobs / max(1, settings.requests))
        let names = (0..<settings.requests).map { String(format: "bench_MonteCarlo_%05d", $0) }
        try writeRequests(names, spool: spool)
        let failures = ManagedCounter()
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            do {
                for n in 0..<perRequest { try writeArchivedJob(workflow: names[i], number: n, start: start + Double(i) * 600 + Double(n) * 20, spool: spool) }
            } catch { failures.add(1) }
        }
        guard failures.value == 0 else { throw CommandFailure(.cantCreate, "wm-bench-report: \(failures.value) request(s)' jobs could not be written") }
        let synthesized = WallClock.now()
        let writer = OperationsPageWriter(spool: spool)
        let cold = try writer.publishInSpool(now: synthesized)
        let afterCold = WallClock.now()
        let warm = try writer.publishInSpool(now: afterCold)
        let afterWarm = WallClock.now()
        let last = try ArchiveActivityCache(spool: spool).dayFolders().last
        let lastRequest = names.last ?? "none"
        for n in 0..<settings.addedJobs {
            try writeArchivedJob(workflow: lastRequest, number: perRequest + n, start: start + Double(names.count) * 600 + Double(n), spool: spool, folder: last)
        }
        let beforeIncremental = WallClock.now()
        _ = try writer.publishInSpool(now: beforeIncremental)
        let end = WallClock.now()
        return Result(requests: cold.report.requests.count, archivedJobs: perRequest * names.count,
                      archiveDays: try ArchiveActivityCache(spool: spool).dayFolders().count,
                      pages: cold.published.written + cold.published.unchanged, synthesizeSeconds: synthesized - t0,
                      coldSeconds: afterCold - synthesized, warmSeconds: afterWarm - afterCold, warmPagesWritten: warm.published.written,
                      incrementalSeconds: end - beforeIncremental, addedJobs: settings.addedJobs)
    }

    /// Completed request documents named `names`, each with a workflow summary counting three failed attempts.
    static func writeRequests(_ names: [String], spool: Spool) throws {
        let area = Areas.requests(spool)
        try spool.ensureDirectories([area.folder(.completed), TaskArchiverStage.summaries])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for (i, name) in names.enumerated() {
            let created = start + Double(i) * 600
            var body = RequestBody(name: name, arguments: RequestArguments(["RequestType": "MonteCarlo", "Requestor": "bench", "Group": "DATAOPS",
                                                                            "RequestPriority": 100_000]), at: created)
            body.history.append(Transition(from: RequestStatus.new.rawValue, to: RequestStatus.completed.rawValue, time: created + 86_400,
                                           actor: "wm-taskarchiver", reason: "synthesized"))
            body.state = .completed
            try Data(try area.encode(Annotated(body))).write(to: URL(fileURLWithPath: spool.path(area.folder(.completed)) + "/" + area.fileName(name)))
            let failed = [8001, 50664, 8001].enumerated().map { n, code in
                AccountingRecord(job: "\(name)-Prod-f\(n)", retry: 0, workflow: name, task: "/\(name)/Prod", taskType: "Production", outcome: "jobfailed",
                                 exitCode: code, step: "cmsRun1", errors: [.init(type: "CMSException", exitCode: code, details: "synthesized failure")],
                                 site: n == 1 ? "T1_US_FNAL" : "T2_CH_CERN", jobTime: 100, peakRSS: 1000, events: 0, inputs: [], runs: [], outputs: [], logArchive: nil)
            }
            let summary = WorkflowSummary(workflow: name, records: failed, now: created + 86_400)
            try encoder.encode(summary).write(to: URL(fileURLWithPath: spool.path(TaskArchiverStage.summaries) + "/" + name + ".json"))
        }
    }

    /// A job of `workflow` that ran from `start` and succeeded, as the job archiver leaves it.
    public static func archivedJob(workflow: String, number: Int, start: Double) throws -> JobDocument {
        var job = JobDocument(JobBody(name: "\(workflow)-Prod-\(number)", workflow: workflow, task: "/\(workflow)/Prod",
                                      taskType: TaskType.production.rawValue, subscription: "Prod", inputFiles: []))
        try job.transition(to: .created, actor: "wm-jobcreator", reason: "synthesized", at: start)
        try job.transition(to: .executing, actor: "wm-jobsubmitter", reason: "synthesized", at: start + 60)
        try job.transition(to: .complete, actor: "wm-jobtracker", reason: "synthesized", at: start + 3660)
        try job.transition(to: .success, actor: "wm-accountant", reason: "synthesized", at: start + 3700)
        try job.transition(to: .cleanout, actor: "wm-jobarchiver", reason: "synthesized", at: start + 3800)
        return job
    }

    /// Writes `archivedJob(…)` into its day folder (that of its cleanout), or into `folder`.
    static func writeArchivedJob(workflow: String, number: Int, start: Double, spool: Spool, folder: String? = nil) throws {
        let job = try archivedJob(workflow: workflow, number: number, start: start)
        let day = folder ?? dayFolder(start + 3800)
        let path = spool.path(day)
        if !FileManager.default.fileExists(atPath: path) { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        try Data(try Areas.jobs(spool).encode(job)).write(to: URL(fileURLWithPath: path + "/" + job.body.name + ".json"))
    }
}

extension ReportBenchmark {
    /// `archive/jobs/<Y>/<M>/<D>` of a time (UTC), as the job archiver names its day folders.
    static func dayFolder(_ time: Double) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: time))
        return Layout.archivedJobs(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }
}

/// A counter shared by concurrent workers.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Adds `n`.
    func add(_ n: Int) { lock.lock(); count += n; lock.unlock() }
    /// The count.
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
