import BatchSystems
import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-jobsubmitter`: takes `jobs/created/` in WMCore's order (priority descending, then name),
/// chooses a site among each job's possible sites under the site and task-type thresholds (counted in cores), submits
/// through the site's batch plugin and moves the job to `executing/` with its batch id and site, or
/// to `submitfailed/` with the code and reason.
///
/// Crash safety: each job's work directory and `job.json` exist before it is submitted, and the
/// plugin is asked `findSubmission(<name>-<retry>)` first, so a job submitted just before a crash is
/// recorded, never submitted again.
public struct JobSubmitterStage: StageCycle {
    public let name = "wm-jobsubmitter"
    /// The job wrapper each payload runs (`<path> --job <workdir>/job.json`).
    public var runjobPath: String
    /// At most this many created jobs are considered per cycle. WMCore's `maxJobsPerPoll` defaults to 1000;
    /// we take 10,000 because every cycle first reads all executing jobs (the sites' load, lost batch ids),
    /// a fixed cost that grows with the number of running jobs: with 100,000 queued jobs, 1000 per cycle
    /// spent 90% of the submitter's time on those re-reads (`wmagent bench --jobs 100000`).
    public var jobsPerCycle: Int
    /// Makes plugins for sites; nil uses the built-in local and slurm plugins.
    public var pluginFactory: ((Site) throws -> BatchPlugin)?
    /// Created jobs decoded in earlier cycles (the documents of the current window of `created/`).
    private let documents = DocumentCache<JobBody>()
    /// What each executing job adds to its site's load, by its file's stamp: every cycle counts all executing jobs,
    /// and keeps a few bytes of each, not its document.
    private let executingLoads = SummaryCache<ExecutingLoad>()
    /// Each workflow's failure tally, read incrementally from its accounting records, and its request's threshold.
    private let tallies = FailureTallies()

    /// Makes a submitter.
    public init(runjobPath: String = JobSubmitterStage.defaultRunjobPath(), jobsPerCycle: Int = 10_000,
                pluginFactory: ((Site) throws -> BatchPlugin)? = nil) {
        self.runjobPath = runjobPath
        self.jobsPerCycle = jobsPerCycle
        self.pluginFactory = pluginFactory
    }

    /// `wm-runjob` next to the running executable.
    public static func defaultRunjobPath() -> String {
        RuntimeCommandLine.sibling("wm-runjob")
    }

    private enum Outcome {
        case submitted(site: String, batchID: String, recovered: Bool)
        case failed(code: Int, reason: String)
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let area = Areas.jobs(context.spool, cache: documents)
        try area.ensureFolders()
        let configuration = try ExecutionLayout.siteConfiguration(spool: context.spool)
        let plugins = BatchPlugins(spool: context.spool, configuration: configuration, factory: pluginFactory)
        var (load, report) = try siteLoad(ExecutingJobs(area: area, plugins: plugins, actor: name), context: context)
        let (queue, held) = try orderedCreatedJobs(area, context: context)
        var start = 0
        while start < queue.count && !StopSignal.isRequested {
            let chunk = Array(queue[start..<min(queue.count, start + context.options.batchSize)])
            start += chunk.count
            let outcomes = try submit(chunk, configuration: configuration, plugins: plugins, load: &load, context: context)
            guard !outcomes.isEmpty else { continue }
            // Only the jobs with an outcome move, in queue order, each read again (from the cache unless it
            // changed): no second listing of `created/` (a folder of 100,000 jobs listed per chunk was a quarter of
            // the submitter's time at `wmagent bench --jobs 100000`).
            let decided = chunk.filter { outcomes[$0.name] != nil }.map(\.name)
            let pass = TransitionPass(area: area, actor: name)
            let moved = try pass.run(decided[...], in: .created, batchSize: context.options.batchSize, context: context) { doc in
                try apply(outcomes[doc.name], to: &doc, now: context.now())
            }
            report.done += moved.done
            report.quarantined += moved.quarantined
        }
        // Jobs held for their workflow's failure rate wait for an operator, not for this stage. Counted, not listed:
        // `created/` may hold far more jobs than the window.
        report.backlog = max(0, try context.spool.countDocuments(area.folder(.created)) - held)
        return report
    }

    /// The sites' load: what every executing job occupies (`ExecutingLoad`, kept across cycles while its document is
    /// unchanged). A job with no batch id (a crash lost its rewrite) is repaired first (`ExecutingJobs`).
    private func siteLoad(_ executing: ExecutingJobs, context: StageContext) throws -> (SiteLoad, CycleReport) {
        var load = SiteLoad()
        var report = CycleReport()
        let area = Areas.jobs(context.spool)  // no document cache: only the summaries are kept
        let names = try area.scan(.executing, log: context.log)
        let folder = context.spool.path(area.folder(.executing))
        executingLoads.retain(in: folder, only: Set(names.map(area.fileName)))
        var unrecorded: [String] = []
        for name in names {
            let path = folder + "/" + area.fileName(name)
            guard let stamp = try FileStamp.of(path) else { continue }
            if let entry = executingLoads.value(at: path, stamp: stamp) {
                entry.add(to: &load)
                continue
            }
            switch try area.load(name, in: .executing, now: context.now(), log: context.log) {
            case .document(let doc) where doc.batchID == nil: unrecorded.append(name)
            case .document(let doc):
                let entry = ExecutingLoad(doc)
                executingLoads.keep(entry, at: path, stamp: stamp)
                entry.add(to: &load)
            case .quarantined: report.quarantined += 1
            case .gone: break
            }
        }
        if !unrecorded.isEmpty {
            report.include(try executing.pass(context, only: unrecorded) { doc in
                ExecutingLoad(doc).add(to: &load)
                return false
            })
        }
        return (load, report)
    }

    /// Created jobs, priority descending then name, at most `jobsPerCycle`, leaving out the jobs of workflows whose
    /// submissions are stopped for their failure rate (the second value counts those).
    ///
    /// The jobs come from a window of `jobsPerCycle` names taken from `created/` (`DocumentArea.take`), so a cycle
    /// reads and keeps a bounded number of documents however many are queued. When all created jobs fit in the
    /// window (up to `jobsPerCycle`, 10,000 by default) the order is WMCore's global order; beyond it, the order holds
    /// within each window, and the window moves on every cycle, so every created job is considered within
    /// ⌈created ÷ window⌉ cycles and none starves.
    private func orderedCreatedJobs(_ area: DocumentArea<JobBody>, context: StageContext) throws -> (jobs: [JobDocument], held: Int) {
        var jobs: [JobDocument] = []
        for name in try area.take(.created, limit: jobsPerCycle, log: context.log) {
            if case .document(let doc) = try area.load(name, in: .created, now: context.now(), log: context.log) { jobs.append(doc) }
        }
        let stopped = try stoppedWorkflows(Set(jobs.map(\.workflow)), context: context)
        let submittable = stopped.isEmpty ? jobs : jobs.filter { !stopped.contains($0.workflow) }
        let ordered = submittable.sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.name < $1.name }
        return (ordered, jobs.count - submittable.count)
    }

    /// The workflows among `workflows` whose submissions are stopped: those already stopped, and those whose failure
    /// rate now breaks their limit (the request's `FailureRateThreshold`, else the agent's `workflowFailureRate`),
    /// which are stopped now, once, with the reason in `submission-stops/` and the log. A workflow an operator
    /// resumed is not judged again.
    private func stoppedWorkflows(_ workflows: Set<String>, context: StageContext) throws -> Set<String> {
        let stops = SubmissionStopStore(spool: context.spool)
        let agentLimit = try context.agentConfiguration().workflowFailureRate
        var stopped = Set<String>()
        for workflow in workflows.sorted() {
            do {
                if let stop = try stops.stop(workflow) {
                    if stop.isHolding { stopped.insert(workflow) }
                    continue
                }
            } catch {
                // A stop damaged by hand: quarantined once with the reason, and the workflow is judged afresh.
                context.log.error("quarantined", ["file": SubmissionStopStore.area + "/" + workflow + ".json", "reason": "\(error)"])
                if !context.options.dryRun { try stops.quarantine(workflow, reason: "\(error)") }
            }
            let requestThreshold = try tallies.requestThreshold(spool: context.spool, workflow: workflow)
            guard let (limit, source) = FailureRateLimit.effective(request: requestThreshold, agent: agentLimit),
                  let reason = limit.breach(try tallies.tally(spool: context.spool, workflow: workflow)) else { continue }
            stopped.insert(workflow)
            guard !context.options.dryRun else {
                context.log.warning("would stop submissions", ["workflow": workflow, "reason": reason, "threshold": source])
                continue
            }
            try stops.record(SubmissionStop(workflow: workflow, reason: reason, source: source, time: context.now()))
            context.log.error("submissions stopped", ["workflow": workflow, "reason": reason, "threshold": source,
                                                      "resume": "wmctl request resume \(workflow)"])
        }
        return stopped
    }

    /// Chooses sites and submits one chunk; jobs that must wait get no outcome.
    private func submit(_ chunk: [JobDocument], configuration: SiteConfiguration, plugins: BatchPlugins,
                        load: inout SiteLoad, context: StageContext) throws -> [String: Outcome] {
        var outcomes: [String: Outcome] = [:]
        var bySite: [String: [JobDocument]] = [:]
        for doc in chunk {
            if let problem = doc.coresProblem ?? doc.performanceMonitor?.problem {
                outcomes[doc.name] = .failed(code: AgentExitCode.submissionRejected, reason: "job \(doc.name): \(problem)")
                continue
            }
            let extra: MatchRequirement.AtSite?
            do { extra = try MatchRequirement.of(doc.body) } catch {
                outcomes[doc.name] = .failed(code: AgentExitCode.submissionRejected,
                                             reason: "job \(doc.name): field 'jobExtraMatchRequirements': \(error)")
                continue
            }
            switch SiteSelection.candidates(possibleSites: doc.possibleSites, taskType: doc.taskType, configuration: configuration, now: context.now(),
                                               needsGPU: doc.needsGPU, gpuRequirements: doc.gpuRequirements, extraRequirement: extra) {
            case .fail(let code, let reason): outcomes[doc.name] = .failed(code: code, reason: reason)
            case .wait(let reason): context.log.debug("waiting", ["job": doc.name, "reason": reason])
            case .sites(let candidates):
                guard let site = SiteSelection.choose(from: candidates, taskType: doc.taskType, cores: doc.cores, load: load) else { continue }
                load.add(site: site.name, taskType: doc.taskType, isRunning: false, cores: doc.cores)
                bySite[site.name, default: []].append(doc)
            }
        }
        if context.options.dryRun {
            for (site, docs) in bySite { docs.forEach { context.log.info("would submit", ["job": $0.name, "site": site]) } }
            return outcomes
        }
        for site in bySite.keys.sorted() {
            let docs = bySite[site]!
            do {
                let plugin = try plugins.plugin(for: site)
                // Every job's work directory files are durable (one group commit) before any is submitted.
                let files = SpoolBatch(spool: context.spool)
                // One runtime.json per site, hard-linked into every job's work directory.
                let runtime = try files.sharedFile(try runtimeBytes(site: site, sites: configuration, context: context))
                var submissions: [BatchSubmission] = []
                for doc in docs { submissions.append(try prepare(doc, site: site, runtime: runtime, context: context, files: files)) }
                try files.commit()
                let existing = try plugin.findSubmissions(submissions.map(\.key))
                let fresh = submissions.filter { existing[$0.key] == nil }
                let results = plugin.submit(fresh)
                for doc in docs {
                    if let id = existing[doc.submissionKey] { outcomes[doc.name] = .submitted(site: site, batchID: id, recovered: true) }
                }
                for (submission, result) in zip(fresh, results) {
                    let jobName = submission.jobName
                    switch result {
                    case .success(let id): outcomes[jobName] = .submitted(site: site, batchID: id, recovered: false)
                    case .failure(let error):
                        context.log.warning("submit failed", ["job": jobName, "site": site, "error": "\(error)"])
                        outcomes[jobName] = .failed(code: AgentExitCode.submissionRejected, reason: "\(site): \(error)")
                    }
                }
            } catch {
                context.log.error("site skipped this cycle", ["site": site, "error": "\(error)"])
            }
        }
        return outcomes
    }

    /// The `runtime.json` every job at `site` gets: where the wrapper finds its inputs and stages its
    /// outputs (every site's storage prefix by PNN).
    private func runtimeBytes(site: String, sites: SiteConfiguration, context: StageContext) throws -> [UInt8] {
        var prefixes: [String: String] = [:]
        for s in sites.sites { prefixes[s.storageElement] = s.pfn(forLFN: "", spoolRoot: context.spool.root) }
        let chosen = sites.site(named: site)
        let runtime = JobRuntime(spool: context.spool.root, site: site, pnn: chosen?.storageElement,
                                 storagePrefix: chosen?.pfn(forLFN: "", spoolRoot: context.spool.root), inputPrefixes: prefixes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(runtime))
    }

    /// Creates the job's work directory with `job.json` and `runtime.json` and describes its submission.
    private func prepare(_ doc: JobDocument, site: String, runtime: SpoolBatch.SharedFile, context: StageContext,
                         files: SpoolBatch) throws -> BatchSubmission {
        let dir = JobWorkDirectory(spool: context.spool, job: doc.body).path
        try context.spool.makeDirectory(dir)
        do {
            // Nobody reads them before the submission is registered (a replay finds them and replaces them).
            try files.link(runtime, at: dir + "/runtime.json")
            try files.writeNewFile(try JobDocumentWriter.bytes(doc), at: dir + "/job.json")
        } catch let error as SystemCallError {
            throw BatchPluginError.invalidSubmission(key: doc.submissionKey, field: "workDirectory", expected: "a writable directory at \(dir) (\(error))")
        }
        return BatchSubmission(key: doc.submissionKey, jobName: doc.name, workDirectory: dir,
                               arguments: [runjobPath, "--job", dir + "/job.json"],
                               environment: ["WM_SPOOL": context.spool.root, "WM_SITE": site, "WM_JOB": doc.name,
                                             "WM_RETRY": String(doc.retryCount), "WM_TASK": doc.task, "WM_WORKFLOW": doc.workflow],
                               wallTimeLimit: Self.batchWallTime(doc), memoryLimitMB: Self.batchMemoryMB(doc), cores: doc.cores,
                               gpus: doc.needsGPU ? 1 : 0)
    }

    /// The wall time the batch system allows (Slurm `--time`): the job's hard timeout (`SoftTimeout` + `GracePeriod`)
    /// when its task has one, so the wrapper's soft kill comes first; else its estimated time. The submitter has
    /// checked the limits (`PerformanceLimits.problem`), so the value is at most 2 × 10^15.
    static func batchWallTime(_ doc: JobDocument) -> Double {
        doc.performanceMonitor?.hardTimeout.map(Double.init) ?? doc.estimatedTime
    }

    /// The memory the batch system allows (Slurm `--mem`, MB): the job's `MaxRSS` when its task has one, else its
    /// estimated memory.
    static func batchMemoryMB(_ doc: JobDocument) -> Double {
        doc.performanceMonitor?.maxRSS.map(Double.init) ?? doc.estimatedMemory
    }

    private func apply(_ outcome: Outcome?, to doc: inout JobDocument, now: Double) throws -> Bool {
        switch outcome {
        case nil: return false
        case .submitted(let site, let id, let recovered):
            doc.batchID = id
            doc.site = site
            doc.recordBatchStatus(.pending, at: now)
            try doc.transition(to: .executing, actor: name, at: now,
                               reason: "submitted to \(site) as batch id \(id)" + (recovered ? " (an earlier submission, found by its key)" : ""))
        case .failed(let code, let reason):
            doc.exitCodes.append(code)
            try doc.transition(to: .submitfailed, actor: name, at: now, reason: "\(code): \(reason)")
        }
        return true
    }
}

/// What one executing job adds to its site's load (nothing once the batch system let it go, or without a batch id).
struct ExecutingLoad {
    /// The site it occupies, nil when it occupies none.
    var site: String?
    /// Its task type, running or pending, and its cores.
    var taskType: String, isRunning: Bool, cores: Int

    /// The load of `doc`.
    init(_ doc: JobDocument) {
        site = doc.batchID != nil && (doc.batchStatus?.occupiesSite ?? !doc.hasBatchStatus) ? doc.site : nil
        taskType = doc.taskType
        isRunning = doc.batchStatus == .running
        cores = doc.cores
    }

    /// Adds it to `load`.
    func add(to load: inout SiteLoad) {
        if let site { load.add(site: site, taskType: taskType, isRunning: isRunning, cores: cores) }
    }
}

extension Annotated where Body: StatefulBody {
    /// `transition(to:actor:reason:at:)` with the reason last, for long reasons.
    mutating func transition(to next: Body.State, actor: String, at time: Double, reason: String) throws {
        try transition(to: next, actor: actor, reason: reason, at: time)
    }
}
