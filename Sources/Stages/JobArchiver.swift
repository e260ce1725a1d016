import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-jobarchiver`: success / exhausted / killed → cleanout (WMCore's JobArchiver).
///
/// For each job: its work directories (every attempt, `work/<wf>/<job>-<n>/`) are tarred into
/// `archive/logs/<wf[0]>/<wf>/JobCluster_<n/1000>/Job_<job>.tar.gz`, and its input files move in its
/// subscription from `acquired/` to `completed/` (success: the job's own document, `j<number>.json`) or to
/// `failed/` (every input file, from `acquired/` or `completed/`); all of that is durable before the job
/// moves to cleanout. Cleaned-out job documents then go to `archive/jobs/<Y>/<M>/<D>/` and their work
/// directories are removed. Last, filesets close per §9: parent closed, nothing available or acquired in the
/// producing subscriptions, and no producing job outside cleanout (a scan of job names suffices: they start
/// with `<workflowKey>-<subscription>-`).
public struct JobArchiverStage: StageCycle {
    public let name = "wm-jobarchiver"
    /// At most this many jobs leave each of success, exhausted and killed per cycle (the rest the next cycles): what a
    /// cycle holds (the plans, the moved jobs' workflows, the cleanout names) follows this, not the backlog.
    public let jobsPerCycle: Int

    /// Makes the stage.
    public init(jobsPerCycle: Int = 10_000) { self.jobsPerCycle = max(1, jobsPerCycle) }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let jobs = Areas.jobs(context.spool)
        try jobs.ensureFolders()
        var report = CycleReport()
        // One listing of each workflow's work folder per cycle, not one per job.
        let attempts = AttemptDirectories(spool: context.spool)
        report.jobsFinished += try archiveCleanedOut(jobs, attempts: attempts, context: context)
        let pass = TransitionPass(area: jobs, actor: name)
        let now = context.now()
        // The workflow of each job this cycle moves to cleanout, so archiving them needs no second read.
        var movedWorkflows: [String: String] = [:]
        for state in [JobState.success, .exhausted, .killed] {
            report.include(try pass.runEffectsFirst(state, batchSize: context.options.batchSize, maxDocuments: jobsPerCycle, context: context,
                plan: { documents in
                    Dictionary(uniqueKeysWithValues: documents.map { doc in
                        (doc.name, Result { try JobCleanout(job: doc.body, spool: context.spool, attempts: attempts) })
                    })
                },
                apply: { plans, batch in for plan in plans { try plan.apply(in: batch) } },
                decide: { job, plan in
                    try job.transition(to: .cleanout, actor: name, reason: plan.summary, at: now)
                    movedWorkflows[job.name] = job.workflow
                }))
        }
        report.jobsFinished += try archiveCleanedOut(jobs, attempts: attempts, known: movedWorkflows, context: context)
        report.done += try FilesetCloser(spool: context.spool, log: context.log).closeFilesets(dryRun: context.options.dryRun)
        return report
    }

    /// Moves `jobs/cleanout/` documents to `archive/jobs/<Y>/<M>/<D>/` (today, UTC) and removes their work
    /// directories (their log tarball was made durable before they entered cleanout).
    /// `known` gives the workflow of jobs this cycle moved to cleanout itself (their documents are not read again).
    /// Returns the number of jobs archived.
    func archiveCleanedOut(_ jobs: DocumentArea<JobBody>, attempts: AttemptDirectories, known: [String: String] = [:],
                           context: StageContext) throws -> Int {
        let names = try jobs.scan(.cleanout, log: context.log)
        guard !names.isEmpty, !context.options.dryRun else { return 0 }
        let day = Self.dayFolder(context.now())
        try context.spool.ensureDirectories([day])
        var workflows: [String: String] = [:]
        for name in names {
            if let workflow = known[name] {
                workflows[name] = workflow
            } else if case .document(let job) = try jobs.load(name, in: .cleanout, now: context.now(), log: context.log) {
                workflows[name] = job.workflow
            }
        }
        var archived = 0
        try context.spool.inBatch { batch in
            for (name, _) in workflows where try batch.move(jobs.fileName(name), from: jobs.folder(.cleanout), to: day) == .moved {
                archived += 1
            }
        }
        for (name, workflow) in workflows {
            for directory in try attempts.of(workflow: workflow, job: name) {
                try? context.spool.discardTree(context.spool.path(directory))
            }
        }
        return archived
    }

    /// `archive/jobs/<Y>/<M>/<D>` of a time (UTC).
    static func dayFolder(_ time: Double) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: time))
        return Layout.archivedJobs(year: parts.year!, month: parts.month!, day: parts.day!)
    }
}

/// What cleaning out one job does: tar its attempts, move its input files.
struct JobCleanout {
    let job: JobBody
    let spool: Spool
    let attempts: [String]
    let tarFolder: String
    let tarName: String

    init(job: JobBody, spool: Spool, attempts index: AttemptDirectories) throws {
        self.job = job
        self.spool = spool
        attempts = try index.of(workflow: job.workflow, job: job.name)
        let number = JobName.number(of: job.name) ?? 0
        // The workflow as one path component, encoded as its work folder is (`JobWorkDirectory.pathComponent`).
        let workflow = JobWorkDirectory.pathComponent(job.workflow)
        tarFolder = Layout.logArchive(workflowComponent: workflow, cluster: number / 1000)
        tarName = "Job_\(job.name).tar.gz"
    }

    var summary: String {
        (attempts.isEmpty ? "no work directory" : "logs in \(tarFolder)/\(tarName)") + "; \(job.inputFiles.count) input file(s) released"
    }

    /// Publishes the tarball (unless already there) and moves the input files.
    func apply(in batch: SpoolBatch) throws {
        if !attempts.isEmpty && !spool.contains(tarName, in: tarFolder) {
            try spool.ensureDirectories([tarFolder])
            try batch.publish(try tarball(), as: tarName, in: tarFolder)
        }
        // The files the job acquired first are in its own document; files it shared with an earlier job
        // move with that job's document, except that a failure takes them to failed/ wherever they are.
        let store = WMBSStore(spool: spool)
        if job.state == .success { try store.completeFiles(of: job, in: batch) } else { try store.failFiles(of: job) }
        // The job reached its end: its marker goes before it enters cleanout (a job in cleanout has none).
        let marker = JobMarkers(spool: spool).marker(of: job)
        batch.discard(marker.name, in: marker.directory)
    }

    /// The attempts' directories as a `.tar.gz` (members `<job>-<n>/<file>`), built in memory.
    func tarball() throws -> [UInt8] {
        var archive = TarGzip(modificationTime: WallClock.now())
        for attempt in attempts {
            try archive.addDirectory(spool.path(attempt), as: String(attempt.split(separator: "/").last!))
        }
        return archive.gzipData()
    }
}

/// The work directories of job attempts (`JobWorkDirectory`: `work/<wf>/<job>-<n>`), from one listing of each
/// workflow's work folder, made on first use and kept for the life of the value (one stage cycle).
final class AttemptDirectories {
    let spool: Spool
    private var byWorkflow: [String: [String: [String]]] = [:]

    init(spool: Spool) {
        self.spool = spool
    }

    /// Spool-relative work directories of every attempt of `job`, sorted.
    func of(workflow: String, job: String) throws -> [String] {
        if byWorkflow[workflow] == nil { byWorkflow[workflow] = try list(workflow) }
        return byWorkflow[workflow]?[job] ?? []
    }

    /// The attempts in a workflow's work folder, by job name (decoded).
    private func list(_ workflow: String) throws -> [String: [String]] {
        let folder = JobWorkDirectory.workflowFolder(workflow)
        guard spool.isFolder(folder) else { return [:] }
        var found: [String: [String]] = [:]
        try spool.forEachEntry(in: folder) { name, _ in
            if let attempt = JobWorkDirectory.attempt(folderName: name) {
                found[attempt.job, default: []].append(folder + "/" + name)
            }
            return true
        }
        return found.mapValues { $0.sorted() }
    }
}
