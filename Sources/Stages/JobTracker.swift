import BatchSystems
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// How long a job may stay in one batch state before it is killed (WMCore StatusPoller `stateTimeouts`).
public struct BatchStateTimeouts: Sendable, Equatable {
    /// Seconds a job may wait in the batch queue (cfg: 432000).
    public var pending: Double = 432_000
    /// Seconds a job may run (cfg: 169200).
    public var running: Double = 169_200
    /// Seconds a job may stay in Error, i.e. failed or unknown to the batch system (cfg: 300).
    public var error: Double = 300

    /// The defaults of WMAgentConfig.
    public init() {}

    /// The limit for a batch state, if it has one (Complete and Timeout have none).
    func limit(for state: BatchState) -> Double? {
        switch state {
        case .pending: return pending
        case .running: return running
        case .error: return error
        case .complete, .timeout: return nil
        }
    }

    /// The kill code for a timeout in `state`: Running 71304, Pending 71305, Error 71306, else 71307.
    static func killCode(for state: BatchState) -> Int {
        switch state {
        case .running: return AgentExitCode.runningTimeout
        case .pending: return AgentExitCode.pendingTimeout
        case .error: return AgentExitCode.errorTimeout
        case .complete, .timeout: return AgentExitCode.otherTimeout
        }
    }
}

/// `wm-jobtracker` (JobStatusLite + JobTracker): polls the site plugins for `jobs/executing/`, records
/// batch status changes, kills jobs stuck past their state's timeout (71304–71307), and moves
/// finished jobs to `complete/` — or to `jobfailed/` with 99303 when they left no
/// `Report.<retry>.xml`, 99400 when the batch system removed them (scancel, a killed process) and
/// 99401 for other batch failures.
public struct JobTrackerStage: StageCycle {
    public let name = "wm-jobtracker"
    /// Per-state timeouts.
    public var timeouts: BatchStateTimeouts
    /// Makes plugins for sites; nil uses the built-in local and slurm plugins.
    public var pluginFactory: ((Site) throws -> BatchPlugin)?
    /// At most this many executing jobs are polled per cycle (the next ones each cycle).
    public var jobsPerCycle: Int
    /// Job documents decoded in earlier cycles (each cycle reads its window of `executing/` twice).
    private let documents: DocumentCache<JobBody>

    /// Makes a tracker.
    public init(timeouts: BatchStateTimeouts = BatchStateTimeouts(), pluginFactory: ((Site) throws -> BatchPlugin)? = nil,
                jobsPerCycle: Int = 10_000) {
        self.timeouts = timeouts
        self.pluginFactory = pluginFactory
        self.jobsPerCycle = max(1, jobsPerCycle)
        documents = DocumentCache(capacity: 2 * max(1, jobsPerCycle))
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let area = Areas.jobs(context.spool, cache: documents)
        try area.ensureFolders()
        let configuration = try ExecutionLayout.siteConfiguration(spool: context.spool)
        let plugins = BatchPlugins(spool: context.spool, configuration: configuration, factory: pluginFactory)
        let executing = ExecutingJobs(area: area, plugins: plugins, actor: name)
        // A bounded window of executing jobs per cycle, the next one each cycle (`DocumentArea.take`): memory and
        // cycle time grow with the window, not with the jobs running, and every job is polled within one turn.
        let window = try area.take(.executing, limit: jobsPerCycle, log: context.log)
        // Pass 1: repair, and collect the batch ids per site.
        var idsBySite: [String: [String]] = [:]
        _ = try executing.pass(context, only: window) { doc in
            if let site = doc.site, let id = doc.batchID { idsBySite[site, default: []].append(id) }
            return false
        }
        var statuses: [String: [String: BatchStatus]] = [:]
        for (site, ids) in idsBySite {
            do {
                statuses[site] = try plugins.plugin(for: site).status(ids)
            } catch {
                context.log.error("status poll failed; jobs keep their last status", ["site": site, "error": "\(error)"])
            }
        }
        // Pass 2: apply what the batch systems said.
        var report = try executing.pass(context, only: window) { doc in
            guard let site = doc.site, let polled = statuses[site] else {
                return doc.site == nil ? try track(&doc, status: .unknown, plugins: plugins, context: context) : false
            }
            return try track(&doc, status: doc.batchID.flatMap { polled[$0] } ?? .unknown, plugins: plugins, context: context)
        }
        // The backlog is the whole folder's, not the window's: what still waits to be tracked.
        if window.count >= jobsPerCycle { report.backlog = max(report.backlog, try context.spool.countDocuments(area.folder(.executing)) - report.done - report.quarantined) }
        return report
    }

    /// Applies one polled status to a job; true when the document changed.
    private func track(_ doc: inout JobDocument, status: BatchStatus, plugins: BatchPlugins, context: StageContext) throws -> Bool {
        let now = context.now()
        var changed = doc.recordBatchStatus(status.bossAirState, at: now)
        switch status {
        case .pending, .running, .unknown:
            break
        case .complete(let exitCode):
            let report = JobWorkDirectory(spool: context.spool, job: doc.body).reportPath
            if Spool.fileExists(report) {
                try doc.transition(to: .complete, actor: name, at: now, reason: "finished with exit code \(exitCode); report \(report)")
            } else {
                try fail(&doc, code: AgentExitCode.noJobReport, at: now,
                         reason: "finished with exit code \(exitCode) but left no report Report.\(doc.retryCount).xml" + logTails(doc, context))
            }
            return true
        case .failed(let reason, let removed):
            killQuietly(doc, plugins: plugins, context: context)  // leftovers of a vanished process group
            try fail(&doc, code: removed ? AgentExitCode.removedByBatchSystem : AgentExitCode.batchSystemFailure, at: now,
                     reason: reason + logTails(doc, context))
            return true
        }
        if let state = doc.batchStatus, let since = doc.batchStatusTime, let limit = timeouts.limit(for: state), now - since > limit {
            killQuietly(doc, plugins: plugins, context: context)
            doc.recordBatchStatus(.timeout, at: now)
            try fail(&doc, code: BatchStateTimeouts.killCode(for: state), at: now,
                     reason: "killed after \(Int(now - since)) s in batch state \(state) (limit \(Int(limit)) s)")
            changed = true
        }
        return changed
    }

    private func fail(_ doc: inout JobDocument, code: Int, at time: Double, reason: String) throws {
        doc.exitCodes.append(code)
        try doc.transition(to: .jobfailed, actor: name, at: time, reason: "\(code): \(reason)")
    }

    private func killQuietly(_ doc: JobDocument, plugins: BatchPlugins, context: StageContext) {
        guard let site = doc.site, let id = doc.batchID, !context.options.dryRun else { return }
        do {
            try plugins.plugin(for: site).kill([id])
        } catch {
            context.log.warning("kill failed", ["job": doc.name, "site": site, "batchID": id, "error": "\(error)"])
        }
    }

    /// The last lines of the payload's stdout and stderr, for the failure reason.
    private func logTails(_ doc: JobDocument, _ context: StageContext) -> String {
        let dir = JobWorkDirectory(spool: context.spool, job: doc.body).path
        var text = ""
        for file in ["stdout", "stderr"] {
            guard let bytes = Spool.readLog(dir + "/" + file, limit: 64 << 20), !bytes.isEmpty else { continue }
            let lines = String(decoding: bytes.suffix(2048), as: UTF8.self).split(whereSeparator: \.isNewline).suffix(5)
            text += "; \(file) tail: " + lines.joined(separator: " | ")
        }
        return text
    }
}
