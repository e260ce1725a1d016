import BatchSystems
import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// What the operations page shows (issue 22, WMStats' view), as one value built from what the spool already
/// records: `wmctl report --json` prints it, `wmctl report --html` renders it.
///
/// The JSON keys are the property names below, sorted; they are stable (a new key may be added, none renamed).
/// Reading it changes nothing in the spool: documents are peeked, never reconciled or quarantined.
public struct OperationsReport: Codable, Sendable, Equatable {
    /// The version of this layout.
    public var schema = 1
    /// When the report was built (seconds since the epoch).
    public var generatedAt: Double
    /// Every request, by name.
    public var requests: [RequestReport]
    /// Each stage's health, by stage name.
    public var stages: [StageReport]
    /// The sites of `etc/sites.json`, in its order.
    public var sites: [SiteReport]
    /// The Tier-0's runs (`t0/runs/<run>/state.json`), by run number; empty when the spool runs no Tier-0.
    public var tier0Runs: [Tier0Run] = []
    /// What could not be read outside any request (a damaged Tier-0 run state), naming the file; the rest is reported.
    public var problems: [String] = []

    /// How far a request is: events and lumis done of expected, jobs done of total.
    public struct Progress: Codable, Sendable, Equatable {
        /// Events done (the output events of the least advanced output dataset, or the elements' processed events).
        public var eventsDone: Int?
        /// Events expected (of that dataset, or the elements' events).
        public var eventsExpected: Int?
        /// Lumis done (from the account only: the elements do not count lumis done).
        public var lumisDone: Int?
        /// Lumis expected (of the least advanced dataset, or the elements' lumis).
        public var lumisExpected: Int?
        /// Jobs done: archived, or in `success`, `exhausted`, `killed` or `cleanout`.
        public var jobsDone: Int
        /// Jobs known: archived ones and the job documents of the request.
        public var jobsTotal: Int
        /// Where the event and lumi counts come from: `account` (kept when the request closed), `elements`
        /// (the work-queue elements' counters) or `none`.
        public var source: String

        /// `done` of `expected` in whole percent (0...100), nil when nothing is expected.
        public static func percent(_ done: Int?, of expected: Int?) -> Int? {
            guard let done, let expected, expected > 0 else { return nil }
            return Int((Double(min(max(done, 0), expected)) * 100 / Double(expected)).rounded(.down))
        }
    }

    /// Failed attempts of one exit code at one site, with the first error message seen.
    public struct Failure: Codable, Sendable, Equatable {
        /// The exit code.
        public var exitCode: Int
        /// The site the attempts ran at (`unknown` when not recorded).
        public var site: String
        /// Failed attempts.
        public var count: Int
        /// The first error's type and details.
        public var firstMessage: String
    }

    /// One output dataset of a request.
    public struct Dataset: Codable, Sendable, Equatable {
        /// The dataset name.
        public var dataset: String
        /// Events in the output.
        public var events: Int
        /// Events expected, when the account knows them.
        public var expectedEvents: Int?
        /// Lumis in the output, when the account knows them.
        public var lumis: Int?
        /// Lumis expected, when the account knows them.
        public var expectedLumis: Int?
        /// Lumis expected but in no output and no ACDC record, when the account knows them.
        public var missingLumis: Int? = nil
        /// Events of those lumis, when the account knows them.
        public var missingEvents: Int? = nil
        /// Lumis in the output more than once, when the account knows them.
        public var duplicatedLumis: Int? = nil
        /// Events of those lumis, when the account knows them.
        public var duplicatedEvents: Int? = nil
        /// Lumis held by ACDC records for recovery, when the account knows them.
        public var acdcLumis: Int? = nil
        /// Events of those lumis, when the account knows them.
        public var acdcEvents: Int? = nil
    }

    /// One task of a request.
    public struct TaskReport: Codable, Sendable, Equatable {
        /// The task path.
        public var task: String
        /// Its job documents per job state (jobs still in `jobs/`).
        public var jobsByState: [String: Int]
        /// Its accounted jobs per outcome of their last attempt (while in WMBS, from the accounting records); from
        /// the workflow summary only `success` is known per task.
        public var jobsByOutcome: [String: Int]
        /// Its failed attempts.
        public var failedAttempts: Int
        /// Retries → successful jobs that needed that many (the summary's `retryData`, else the records).
        public var retries: [String: Int]
    }

    /// What ACDC holds for a request: the failed work kept for recovery (`acdc/<workflow>/`).
    public struct ACDCReport: Codable, Sendable, Equatable {
        /// ACDC records.
        public var records: Int
        /// Files in them.
        public var files: Int
        /// Lumis in those files.
        public var lumis: Int
        /// Events in those files.
        public var events: Int
    }

    /// One Tier-0 run, as the feeder recorded it.
    public struct Tier0Run: Codable, Sendable, Equatable {
        /// The run number.
        public var run: Int
        /// Its HLT key (nil before its run document arrived).
        public var hltKey: String?
        /// The end of run was seen.
        public var ended: Bool
        /// Its lumis when it ended.
        public var lumiCount: Int?
        /// Storage-manager instances that ended it, and how many are expected.
        public var instancesEnded: Int
        /// Instances expected, when known.
        public var expectedInstances: Int?
        /// Its streams.
        public var streams: [Tier0Stream]
        /// Its PromptReco releases in a few words (`PromptReco 2 waiting, 1 released`, `no PromptReco`), `(held)` added
        /// while `wmctl t0 hold` holds every release.
        public var promptReco: String = ""
    }

    /// One stream of a Tier-0 run: its lumis by state.
    public struct Tier0Stream: Codable, Sendable, Equatable {
        /// The stream name.
        public var stream: String
        /// Lumis final-closed (every streamer registered).
        public var finalClosed: Int
        /// Lumis closed, waiting for streamers.
        public var closed: Int
        /// Lumis still open.
        public var open: Int
    }

    /// One request's row and section.
    public struct RequestReport: Codable, Sendable, Equatable {
        /// The request name.
        public var name: String
        /// Its ReqMgr2 status.
        public var status: String
        /// Its request type.
        public var type: String
        /// Its priority.
        public var priority: Int
        /// Its progress.
        public var progress: Progress
        /// Its job documents per job state (jobs still in `jobs/`).
        public var jobsByState: [String: Int]
        /// Its archived jobs per outcome of their last attempt (`success`, `jobfailed`).
        public var jobsArchived: [String: Int]
        /// Failed attempts by exit code and site, most frequent first.
        public var failures: [Failure]
        /// Its output datasets, by name.
        public var datasets: [Dataset]
        /// The verdict of the account kept when it closed, if it has one.
        public var accountVerdict: String?
        /// What could not be read for it (a damaged summary, account or accounting record), each naming the file
        /// and what was wrong; the rest of the request is reported without it.
        public var problems: [String] = []
        /// Its tasks, by task path.
        public var tasks: [TaskReport] = []
        /// What ACDC holds for it (nil when nothing).
        public var acdc: ACDCReport? = nil
        /// Its history, oldest first: time, from → to, actor, reason.
        public var timeline: [Transition] = []
        /// Its jobs by state and jobs done over time (from the job documents' histories, live and archived), oldest
        /// first; empty before its first job.
        public var activity: [ActivitySample] = []
    }

    /// A request's jobs at one time.
    public struct ActivitySample: Codable, Sendable, Equatable {
        /// The time (seconds since the epoch): the end of a `JobActivity.bucketSeconds` bucket.
        public var time: Double
        /// Jobs that had reached a done state (`success`, `exhausted`, `killed`, `cleanout`) by then.
        public var jobsDone: Int
        /// Jobs in each state then (states with none left out; `cleanout` counts archived jobs).
        public var jobsByState: [String: Int]
    }

    /// One stage's health.
    public struct StageReport: Codable, Sendable, Equatable {
        /// The stage.
        public var stage: String
        /// When its last cycle ended.
        public var lastCycle: Double
        /// When its last cycle that moved something ended.
        public var lastProgress: Double
        /// Its backlog after that cycle.
        public var backlog: Int
        /// Documents its last run moved on.
        public var itemsDone: Int
        /// It has a backlog and made no progress for the stuck threshold.
        public var stuck: Bool
    }

    /// One site.
    public struct SiteReport: Codable, Sendable, Equatable {
        /// The site name.
        public var name: String
        /// Its state (`Normal`, `Draining`, `Down`, `Aborted`).
        public var state: String
        /// Its pending slots.
        public var pendingSlots: Int
        /// Its running slots.
        public var runningSlots: Int
        /// Jobs in `executing` bound to it.
        public var executingJobs: Int
    }
}

/// Builds an `OperationsReport` from a spool, reading only.
public struct OperationsReportBuilder {
    /// The spool.
    public let spool: Spool
    /// Seconds of backlog without progress that make a stage STUCK.
    public var stuckAfter: Double

    /// Job states in which a job counts as done.
    static let doneStates: Set<JobState> = [.success, .exhausted, .killed, .cleanout]

    /// A builder for `spool`.
    public init(spool: Spool, stuckAfter: Double = Double(Wmctl.defaultStuckAfter)) {
        self.spool = spool
        self.stuckAfter = stuckAfter
    }

    /// The report as the spool stands at `now`.
    public func build(now: Double) throws -> OperationsReport { try buildWithDigests(now: now).report }

    /// The report as the spool stands at `now`, with the archive's activity digests (`ArchiveActivityCache`), for the
    /// page writer to keep; building reads them but writes nothing.
    public func buildWithDigests(now: Double) throws -> (report: OperationsReport, digests: [ArchiveActivityCache.Day]) {
        let jobs = try liveJobs()
        let archive = try ArchiveActivityCache(spool: spool).load()
        var activity = archive.activity
        for job in jobs { activity.add(job) }
        let jobsByWorkflow = Dictionary(grouping: jobs, by: \.workflow)
        var requests: [OperationsReport.RequestReport] = []
        let area = Areas.requests(spool)
        for status in RequestStatus.allCases {
            for name in try documentNames(area.folder(status), suffix: area.suffix) {
                guard let doc = try area.peek(name, in: status) else { continue }
                var report = request(doc, jobs: jobsByWorkflow[name] ?? [])
                report.activity = activity.samples(of: name)
                requests.append(report)
            }
        }
        let stages = StageHealth.readAll(spool).map {
            OperationsReport.StageReport(stage: $0.stage, lastCycle: $0.lastCycle, lastProgress: $0.lastProgress, backlog: $0.backlog,
                                         itemsDone: $0.itemsDone, stuck: Wmctl.isStuck($0, now: now, threshold: stuckAfter))
        }
        let executing = Dictionary(grouping: jobs.filter { $0.state == .executing }, by: { $0.site ?? OperationsReport.unknownSite }).mapValues(\.count)
        let sites = try ExecutionLayout.siteConfiguration(spool: spool).sites.map {
            OperationsReport.SiteReport(name: $0.name, state: $0.state.rawValue, pendingSlots: $0.slots.pendingSlots,
                                        runningSlots: $0.slots.runningSlots, executingJobs: executing[$0.name] ?? 0)
        }
        var problems = archive.problems
        var runs: [OperationsReport.Tier0Run] = []
        do { runs = try tier0Runs() } catch { problems.append(String(describing: error)) }
        let report = OperationsReport(generatedAt: now, requests: requests.sorted { $0.name < $1.name }, stages: stages, sites: sites,
                                      tier0Runs: runs, problems: problems)
        return (report, archive.days)
    }

    /// The document names in `folder` (files ending in `suffix`; anything else is left for the stages to quarantine).
    func documentNames(_ folder: String, suffix: String) throws -> [String] {
        guard spool.isFolder(folder) else { return [] }
        return try spool.scan(folder).names.filter { $0.hasSuffix(suffix) && !DocumentArea<JobBody>.isSideFile($0) }.map { String($0.dropLast(suffix.count)) }
    }

    /// Every readable job document in `jobs/<state>/`.
    func liveJobs() throws -> [JobBody] {
        let area = Areas.jobs(spool)
        var result: [JobBody] = []
        for state in JobState.allCases {
            for name in try documentNames(area.folder(state), suffix: area.suffix) {
                if let doc = try area.peek(name, in: state) { result.append(doc.body) }
            }
        }
        return result
    }

    /// One request's report: the account and summary kept at close, else the records and elements of its live work.
    func request(_ doc: Annotated<RequestBody>, jobs: [JobBody]) -> OperationsReport.RequestReport {
        let name = doc.body.name
        var problems: [String] = []
        /// `read()`, or nil with the problem noted: one damaged file must not hide the rest of the page.
        func readable<T>(_ read: () throws -> T?) -> T? {
            do { return try read() } catch { problems.append(String(describing: error)); return nil }
        }
        let records = readable { spool.isFolder(AccountingAreas.reports(name)) ? try AccountingRecords.read(spool: spool, workflow: name) : [] } ?? []
        let summary = readable { try storedSummary(name) }
        let account = readable { try RequestAccounting(spool: spool).stored(name) }
        let live = Set(jobs.map(\.name))

        // Archived jobs: the summary's last outcomes, else the last records of jobs no longer in jobs/.
        var archived: [String: Int] = summary?.jobs ?? [:]
        if summary == nil {
            var last: [String: AccountingRecord] = [:]
            for record in records where !live.contains(record.job) && (last[record.job]?.retry ?? -1) <= record.retry { last[record.job] = record }
            archived = Dictionary(grouping: last.values, by: \.outcome).mapValues(\.count)
        }
        let byState = Dictionary(grouping: jobs, by: \.state.rawValue).mapValues(\.count)
        let archivedCount = SaturatingArithmetic.sum(archived.values)
        let doneLive = jobs.filter { Self.doneStates.contains($0.state) }.count
        var progress = OperationsReport.Progress(jobsDone: SaturatingArithmetic.add(archivedCount, doneLive),
                                                 jobsTotal: SaturatingArithmetic.add(archivedCount, jobs.count), source: "none")
        var datasets: [OperationsReport.Dataset] = []
        if let account, !account.datasets.isEmpty {
            // The least advanced output dataset: a chain is done when every output is.
            let worst = account.datasets.min { fraction($0) < fraction($1) }!
            progress.eventsDone = worst.outputEvents
            progress.eventsExpected = worst.expectedEvents
            progress.lumisDone = worst.outputLumis
            progress.lumisExpected = worst.expectedLumis
            progress.source = "account"
            datasets = account.datasets.map {
                OperationsReport.Dataset(dataset: $0.dataset, events: $0.outputEvents, expectedEvents: $0.expectedEvents,
                                         lumis: $0.outputLumis, expectedLumis: $0.expectedLumis,
                                         missingLumis: $0.missingLumis.count, missingEvents: $0.missingEvents,
                                         duplicatedLumis: $0.duplicatedLumis.count, duplicatedEvents: $0.duplicatedEvents,
                                         acdcLumis: $0.acdcLumis.count, acdcEvents: $0.acdcEvents)
            }
        } else {
            let elements = readable { try elementsOf(name) } ?? []
            if !elements.isEmpty {
                progress.eventsDone = SaturatingArithmetic.sum(elements.map(\.progress.eventsProcessed))
                progress.eventsExpected = SaturatingArithmetic.sum(elements.map(\.numberOfEvents))
                progress.lumisExpected = SaturatingArithmetic.sum(elements.map(\.numberOfLumis))
                progress.source = "elements"
            }
            var events: [String: Int] = [:]
            if let summary {
                for (dataset, totals) in summary.output { events[dataset] = totals.events }
            } else {
                for record in records where record.outcome == "success" {
                    for output in record.outputs { if let dataset = output.dataset { events[dataset] = SaturatingArithmetic.add(events[dataset] ?? 0, output.events) } }
                }
            }
            datasets = events.map { OperationsReport.Dataset(dataset: $0.key, events: $0.value) }
        }
        let acdc = readable { try acdcHeld(name) } ?? nil
        return OperationsReport.RequestReport(
            name: name, status: doc.body.state.rawValue, type: doc.body.requestType.rawValue, priority: doc.body.priority,
            progress: progress, jobsByState: byState, jobsArchived: archived,
            failures: records.isEmpty ? failures(summary) : failures(records), datasets: datasets.sorted { $0.dataset < $1.dataset },
            accountVerdict: account?.verdict.rawValue, problems: problems,
            tasks: tasks(jobs: jobs, records: records, summary: records.isEmpty ? summary : nil), acdc: acdc, timeline: doc.body.history)
    }

    /// The request's tasks: live job documents by state, and outcomes, failed attempts and retries from the accounting
    /// records while it is in WMBS, else from `summary` (which keeps per task only the successes by retries and
    /// the failed attempts).
    func tasks(jobs: [JobBody], records: [AccountingRecord], summary: WorkflowSummary?) -> [OperationsReport.TaskReport] {
        var tasks: [String: OperationsReport.TaskReport] = [:]
        func update(_ task: String, _ change: (inout OperationsReport.TaskReport) -> Void) {
            change(&tasks[task, default: .init(task: task, jobsByState: [:], jobsByOutcome: [:], failedAttempts: 0, retries: [:])])
        }
        for job in jobs { update(job.task) { $0.jobsByState[job.state.rawValue, default: 0] += 1 } }
        var last: [String: AccountingRecord] = [:]
        for record in records {
            if (last[record.job]?.retry ?? -1) <= record.retry { last[record.job] = record }
            if record.outcome != "success" { update(record.task) { $0.failedAttempts = SaturatingArithmetic.add($0.failedAttempts, 1) } }
        }
        for record in last.values {
            update(record.task) {
                $0.jobsByOutcome[record.outcome, default: 0] += 1
                if record.outcome == "success" { $0.retries[String(record.retry), default: 0] += 1 }
            }
        }
        if let summary {
            for (task, retries) in summary.retryData {
                update(task) { $0.retries = retries; $0.jobsByOutcome["success"] = SaturatingArithmetic.sum(retries.values) }
            }
            for (task, steps) in summary.errors {
                let attempts = SaturatingArithmetic.sum(steps.values.flatMap { $0.values.map(\.errors) })
                update(task) { $0.failedAttempts = SaturatingArithmetic.add($0.failedAttempts, attempts) }
            }
        }
        return tasks.values.sorted { $0.task < $1.task }
    }

    /// What ACDC holds for `workflow`: its records, their files, lumis and events; nil when it holds nothing.
    func acdcHeld(_ workflow: String) throws -> OperationsReport.ACDCReport? {
        let records = try ACDCStore(spool: spool).records(workflow: workflow)
        guard !records.isEmpty else { return nil }
        let files = records.flatMap(\.files)
        return OperationsReport.ACDCReport(records: records.count, files: files.count, lumis: SaturatingArithmetic.sum(files.map(\.lumis.count)),
                                           events: SaturatingArithmetic.sum(files.map(\.events)))
    }

    /// The Tier-0's runs as the feeder recorded them (`wmctl t0 runs` reads the same).
    func tier0Runs() throws -> [OperationsReport.Tier0Run] {
        let releases = PromptRecoReleaseStore(spool: spool)
        let held = releases.isHeld ? " (held)" : ""
        return try Tier0Verbs.states(Tier0RunStore(spool: spool)).map { state in
            var run = OperationsReport.Tier0Run(run: state.run, hltKey: state.hltKey, ended: state.ended, lumiCount: state.lumiCount,
                                                instancesEnded: state.instancesEnded.count, expectedInstances: state.expectedInstances,
                                                streams: state.streams.map {
                                                    OperationsReport.Tier0Stream(stream: $0.stream, finalClosed: $0.lumis(.finalClosed).count,
                                                                                 closed: $0.lumis(.closed).count, open: $0.lumis(.open).count)
                                                })
            run.promptReco = Tier0Verbs.releaseSummary(try Tier0Verbs.releaseRows(releases, run: state.run)) + held
            return run
        }
    }

    /// Output over expected events (lumis when no events are expected); 1 when nothing is expected.
    func fraction(_ d: DatasetAccount) -> Double {
        if d.expectedEvents > 0 { return Double(d.outputEvents) / Double(d.expectedEvents) }
        return d.expectedLumis > 0 ? Double(d.outputLumis) / Double(d.expectedLumis) : 1
    }

    /// The request's elements still in the queue, else those archived with it.
    func elementsOf(_ request: String) throws -> [ElementBody] {
        let store = ElementStore(spool: spool)
        var elements = try store.elements(ofRequest: request)
        if elements.isEmpty { elements = try store.archivedElements(ofRequest: request) }
        return elements.map(\.body)
    }

    /// The workflow summary the task archiver wrote, if any.
    func storedSummary(_ workflow: String) throws -> WorkflowSummary? {
        guard let bytes = try spool.read(workflow + ".json", in: TaskArchiverStage.summaries) else { return nil }
        return try decodeDocument(WorkflowSummary.self, bytes, file: TaskArchiverStage.summaries + "/" + workflow + ".json")
    }

    /// Failed attempts of live accounting records by exit code × site.
    func failures(_ records: [AccountingRecord]) -> [OperationsReport.Failure] {
        var table = FailureTable()
        for record in records where record.outcome != "success" {
            table.add(code: record.exitCode, site: record.site ?? OperationsReport.unknownSite, count: 1,
                      message: record.errors.first.map { "\($0.type): \($0.details)" } ?? "")
        }
        return table.sorted
    }

    /// Failed attempts of a summary by exit code × site (tasks and steps in name order give the first message).
    func failures(_ summary: WorkflowSummary?) -> [OperationsReport.Failure] {
        var table = FailureTable()
        for (_, steps) in (summary?.errors ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (_, codes) in steps.sorted(by: { $0.key < $1.key }) {
                for (code, group) in codes.sorted(by: { $0.key < $1.key }) {
                    let sites = group.sites ?? [OperationsReport.unknownSite: group.errors]
                    for (site, count) in sites.sorted(by: { $0.key < $1.key }) {
                        table.add(code: Int(code) ?? 0, site: site, count: count, message: group.example)
                    }
                }
            }
        }
        return table.sorted
    }

    /// Failures summed by exit code and site, each with the first message added.
    struct FailureTable {
        var rows: [OperationsReport.Failure] = []

        mutating func add(code: Int, site: String, count: Int, message: String) {
            if let i = rows.firstIndex(where: { $0.exitCode == code && $0.site == site }) {
                rows[i].count = SaturatingArithmetic.add(rows[i].count, count)
            } else {
                rows.append(OperationsReport.Failure(exitCode: code, site: site, count: count, firstMessage: message))
            }
        }

        /// The rows, most attempts first, then by exit code and site.
        var sorted: [OperationsReport.Failure] { rows.sorted { ($1.count, $0.exitCode, $0.site) < ($0.count, $1.exitCode, $1.site) } }
    }
}

extension OperationsReport {
    /// The site named for what ran nowhere recorded.
    public static let unknownSite = WorkflowSummary.unknownSite
}
