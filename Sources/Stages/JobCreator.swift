import Commands
import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-jobcreator`: for each subscription with available files, runs its splitting algorithm and
/// writes job documents to `jobs/created/` (or `jobs/createfailed/` with 71101 when no site can run a
/// job, 99305 when a lumi is too long), moving the consumed files to `acquired/`.
///
/// Crash safety: a job-group record with every job is published first (the intent), then in one group
/// commit the jobs are published under fixed names (with their acquired documents and their markers,
/// `JobMarkers`: hard links, no second file) and the files move,
/// then the record is marked done (and slimmed to its file keys). A replay after `kill -9` finishes
/// exactly the missing steps, so no job is created twice and none is lost.
///
/// Bounded memory: a cycle makes at most `jobsPerCycle` jobs of a subscription (one job group), so the
/// encoded jobs it holds do not grow with the subscription; the files of the jobs left out stay available and
/// a later cycle splits them. The group ends at a job after which no file read so far is read again, so
/// every file goes whole into one group, and a kill between two cycles leaves only unsplit files behind.
public struct JobCreatorStage: StageCycle {
    /// The stage's name (lock, health record, actor of its transitions).
    public let name = "wm-jobcreator"
    /// At most about this many jobs of one subscription are made per cycle (more only when the jobs that read
    /// one file run past it; Tier-0 algorithms, which record split lumis, make all theirs at once).
    public var jobsPerCycle: Int

    /// Makes the stage.
    public init(jobsPerCycle: Int = 10_000) {
        self.jobsPerCycle = max(1, jobsPerCycle)
    }

    /// Finishes half-done job groups, then splits every subscription's available files.
    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let store = WMBSStore(spool: context.spool)
        let jobs = Areas.jobs(context.spool)
        try jobs.ensureFolders()
        var report = CycleReport()
        for workflow in try store.workflows() {
            for sub in try store.subscriptions(of: workflow) {
                if StopSignal.isRequested { return report }
                report.done += try replayPendingGroups(store: store, jobs: jobs, workflow: workflow, subscription: sub.name, context: context)
                report.done += try createJobs(store: store, jobs: jobs, workflow: workflow, subscription: sub, context: context)
            }
        }
        return report
    }

    /// Splits one subscription's available files into jobs; returns the number of jobs made.
    func createJobs(store: WMBSStore, jobs: DocumentArea<JobBody>, workflow: String, subscription sub: Subscription,
                    context: StageContext) throws -> Int {
        let now = context.now()
        let started = WallClock.now()
        // An unreadable file document goes to `corrupt/` with its reason; the other files are split.
        let quarantine = context.options.dryRun ? nil : context.log
        // A part of the files first (bounded memory); every file when that part alone makes no job (an open fileset's
        // partial work may need the files not read yet).
        var portion = try Self.plan(store: store, workflow: workflow, subscription: sub, now: now, quarantine: quarantine,
                                    fileLimit: jobsPerCycle)
        if let part = portion, !part.readEveryFile, part.outcome.jobs.isEmpty, part.outcome.failedFiles.isEmpty { portion = nil }
        guard let plan = try portion ?? Self.plan(store: store, workflow: workflow, subscription: sub, now: now, quarantine: quarantine)
        else { return 0 }
        let planned = WallClock.now()
        let available = plan.available
        let outcome = plan.outcome
        if sub.algorithm == Tier0Algorithm.condition.rawValue {
            guard !context.options.dryRun else {
                context.log.info("would record conditions for upload", ["subscription": sub.name, "files": String(plan.recordedFiles.count)])
                return 0
            }
            _ = try ConditionRecording(store: store, workflow: workflow, subscription: sub)
                .run(recording: plan.recordedFiles, available: available, now: now, log: context.log)
            return 0
        }
        if outcome.jobs.isEmpty && outcome.failedFiles.isEmpty { return 0 }

        // Which available files the jobs read: the splitter gives each job's input positions in `available`.
        var indexOfLFN: [String: Int]?
        func index(of lfn: String) -> Int? {
            if indexOfLFN == nil {
                var byLFN: [String: Int] = [:]
                for (i, entry) in available.enumerated() where byLFN[entry.file.lfn] == nil { byLFN[entry.file.lfn] = i }
                indexOfLFN = byLFN
            }
            return indexOfLFN?[lfn]
        }
        let splits = outcome.groups.flatMap { group in group.jobs.map { (split: $0, locations: group.locations) } }
        // Each file read goes with the first job that reads it; a job that owns all its files is "whole".
        var owner = [Int](repeating: -1, count: available.count)
        var whole = [Bool](repeating: true, count: splits.count)
        let positions = outcome.inputPositions(in: available.map(\.file))
        for j in splits.indices {
            for position in positions[j] {
                guard let i = position else {
                    whole[j] = false
                    continue
                }
                if owner[i] == -1 { owner[i] = j } else if owner[i] != j { whole[j] = false }
            }
        }
        let failedIndices = outcome.failedFiles.compactMap { index(of: $0) }.filter { owner[$0] == -1 }
        let failedKeys = failedIndices.map { available[$0].key }
        // This cycle's jobs: the first `count`; the files of the others stay available for a later cycle.
        let count = Tier0Algorithm(rawValue: sub.algorithm) == nil
            ? Self.groupEnd(positions, files: available.count, limit: jobsPerCycle) : splits.count
        for i in owner.indices where owner[i] >= count { owner[i] = -1 }
        let consumed = available.indices.filter { owner[$0] != -1 }.map { available[$0].key }
        if context.options.dryRun {
            context.log.info("would create jobs", ["subscription": sub.name, "jobs": String(splits.count)])
            return 0
        }
        // Every job's number is known up front, so jobs are made and encoded on every core.
        let first = try nextJobNumber(store: store, workflow: workflow, subscription: sub.name)
        let pileup = pileupDatasets(of: sub, context: context)
        let made = try concurrentSlices(count, serialBelow: 512) { range in
            var writer = JobDocumentWriter()
            return try range.map { i in
                let job = try makeJob(splits[i].split, number: first + i, locations: splits[i].locations, workflow: workflow,
                                      subscription: sub, pileup: pileup, now: now)
                return try EncodedJobGroup.Job(job, writer: &writer, area: jobs)
            }
        }
        // The split-lumi records first: a crash before the jobs leaves the files available, split again the same way.
        try Tier0SplitLumiStore(spool: context.spool).add(plan.splitLumis, workflow, sub.name)
        for (lfn, reason) in plan.failureReasons.sorted(by: { $0.key < $1.key }) {
            context.log.warning("input file failed by the splitter", ["subscription": sub.name, "lfn": lfn, "reason": reason])
        }
        let group = EncodedJobGroup(name: "g\(pad(first))-\(pad(first + made.count - 1))", subscription: sub.name,
                                    fileKeys: consumed, failedFileKeys: failedKeys, jobs: made)
        let encoded = WallClock.now()
        let groups = Layout.wmbs(workflow).subscription(sub.name)
        try context.spool.publish(group.recordBytes(), as: group.name + ".json", in: groups.pendingJobGroups)
        let recorded = WallClock.now()
        let work = store.acquisition(group, workflow: workflow, available: available, owner: owner,
                                     whole: Array(whole.prefix(count)), failed: failedIndices)
        try execute(group, store: store, jobs: jobs, workflow: workflow, files: work)
        let seconds = { (a: Double, b: Double) in String(format: "%.3f", b - a) }
        context.log.info("created jobs", ["workflow": workflow, "subscription": sub.name, "jobs": String(made.count),
                                          "jobsLeftForNextCycle": String(splits.count - made.count),
                                          "files": String(consumed.count), "failedFiles": String(failedKeys.count),
                                          "readAndSplitSeconds": seconds(started, planned), "encodeSeconds": seconds(planned, encoded),
                                          "recordSeconds": seconds(encoded, recorded), "writeSeconds": seconds(recorded, WallClock.now())])
        return made.count
    }

    /// The algorithms whose subscriptions a cycle may split from a part of their available files: each job is made from
    /// the files it reads alone. Merges, harvesting, cleanup and Tier-0 algorithms always see every available file.
    public static let readsFilesInPortions: Set<SplittingAlgorithm> = [.fileBased, .eventBased, .lumiBased, .eventAwareLumiBased,
                                                                       .eventAwareLumiByWork]

    /// How many of the split jobs one group takes: the fewest, at least `limit` (or all), after which no job reads
    /// a file an earlier one read. `positions` gives each job's inputs as indices of the available files (nil:
    /// a file that is not available, which moves nowhere). So no file is shared between two groups: a file
    /// moves whole with its group, and the files left behind are split again, from scratch, by a later cycle.
    static func groupEnd(_ positions: [[Int?]], files: Int, limit: Int) -> Int {
        guard positions.count > limit else { return positions.count }
        var lastReader = [Int](repeating: -1, count: files)
        for (j, inputs) in positions.enumerated() {
            for case let i? in inputs where i < files { lastReader[i] = j }
        }
        var reach = 0  // the last job reading a file that jobs 0...j read
        for (j, inputs) in positions.enumerated() {
            for case let i? in inputs where i < files { reach = max(reach, lastReader[i]) }
            if j + 1 >= limit && reach <= j { return j + 1 }
        }
        return positions.count
    }

    /// What splitting a subscription's available files gives now, before anything is written.
    public struct Plan {
        /// The subscription's available files (key, file and the document holding it), in the order the
        /// algorithm saw them.
        public var available: [(key: String, file: SplitFile, document: String)]
        /// The algorithm's jobs and failed files.
        public var outcome: SplitOutcome
        /// Tier-0 Repack and Express: the lumis this split spread over several jobs (their merges wait for all).
        public var splitLumis: [Tier0SplitLumi] = []
        /// Why each failed file failed, when the algorithm says (Tier-0).
        public var failureReasons: [String: String] = [:]
        /// Tier-0 Condition: the files to record for upload (no job reads them).
        public var recordedFiles: [String] = []
        /// False when only a part of the available files was read (`fileLimit`).
        public var readEveryFile = true
    }

    /// Runs the subscription's splitting algorithm over its available files, as a cycle would; nil when
    /// there is nothing to split. Shared by the stage and `wmctl split` (the dry run). An unreadable file
    /// document is an error naming it, or with `quarantine` moved to `corrupt/` with that reason and left out.
    ///
    /// With `fileLimit`, a subscription of a processing algorithm (`readsFilesInPortions`) is split from its first
    /// available documents holding at least `fileLimit` files, as if the rest had not arrived yet (its fileset open
    /// while documents are left unread), so a cycle reads a bounded part of a huge subscription.
    public static func plan(store: WMBSStore, workflow: String, subscription sub: Subscription, now: Double,
                            quarantine: Logger? = nil, fileLimit: Int = Int.max) throws -> Plan? {
        // WMBS hands files over in insertion (file id) order; LFN order is the deterministic stand-in here.
        var scanned: [(key: String, file: SplitFile, document: String)]
        var moreFiles = false
        if fileLimit < Int.max, let algorithm = SplittingAlgorithm(rawValue: sub.algorithm), readsFilesInPortions.contains(algorithm) {
            let first = try store.firstDocuments(workflow, sub.name, in: .available, holding: fileLimit, quarantine: quarantine)
            scanned = WMBSStore.files(of: first.documents)
            moreFiles = !first.complete
        } else {
            scanned = try store.files(workflow, sub.name, in: .available, quarantine: quarantine)
        }
        let available = utf8SortedIndices(scanned.map(\.file.lfn)).map { scanned[$0] }
        scanned = []
        if available.isEmpty && sub.algorithm != SplittingAlgorithm.harvest.rawValue
            && sub.algorithm != Tier0Algorithm.condition.rawValue { return nil }
        if let tier0 = Tier0Algorithm(rawValue: sub.algorithm) {
            let split = try Tier0SplitReader(store: store, workflow: workflow, subscription: sub, fileset: try store.fileset(workflow, sub.inputFileset))
                .split(tier0, files: available.map(\.file), now: now)
            return Plan(available: available, outcome: split.outcome, splitLumis: split.splitLumis, failureReasons: split.failureReasons,
                        recordedFiles: split.recordedFiles)
        }
        guard let algorithm = SplittingAlgorithm(rawValue: sub.algorithm) else {
            throw DocumentProblem("\(store.subscriptionFolder(workflow, sub.name))/subscription.json: field 'algorithm' is '\(sub.algorithm)'; expected one of \((SplittingAlgorithm.allCases.map(\.rawValue) + Tier0Algorithm.allCases.map(\.rawValue)).joined(separator: ", "))")
        }
        if let problem = sub.coresProblem ?? sub.performanceLimits?.problem {
            throw DocumentProblem("\(store.subscriptionFolder(workflow, sub.name))/subscription.json: \(problem)")
        }
        let files = available.map(\.file)
        let fileset = try store.fileset(workflow, sub.inputFileset)
        var splitContext = try makeSplitContext(store: store, workflow: workflow, subscription: sub, fileset: fileset,
                                                available: files, now: now)
        if moreFiles { splitContext.filesetClosed = false }
        var parameters = sub.parameters
        parameters["performance"] = .object(["timePerEvent": .double(sub.timePerEvent), "sizePerEvent": .double(sub.sizePerEvent),
                                             "memoryRequirement": .double(sub.memory)])
        let outcome = try JobSplitter.split(algorithm, files: files, parameters: SplitParameters(parameters), context: splitContext)
        return Plan(available: available, outcome: outcome, readEveryFile: !moreFiles)
    }

    /// Finishes job groups a crash left half done.
    func replayPendingGroups(store: WMBSStore, jobs: DocumentArea<JobBody>, workflow: String, subscription: String,
                             context: StageContext) throws -> Int {
        let pending = Layout.wmbs(workflow).subscription(subscription).pendingJobGroups
        var replayed = 0
        for file in try context.spool.scan(pending).names {
            guard let record = try store.readJSON(JobGroupRecord.self, file, in: pending) else { continue }
            let group = try EncodedJobGroup(name: record.name, subscription: record.subscription, fileKeys: record.fileKeys,
                                            failedFileKeys: record.failedFileKeys, jobs: record.jobs, area: jobs)
            try execute(group, store: store, jobs: jobs, workflow: workflow, files: nil)
            context.log.info("replayed job group", ["subscription": subscription, "group": record.name])
            replayed += record.jobs.count
        }
        return replayed
    }

    /// Publishes the group's jobs and moves its files (`files` nil on a replay: worked out again from the
    /// record and the documents as they are), skipping on replay what was already done.
    ///
    /// How the files move is the store's (`WMBSStore.Acquisition`). At commit the jobs (with their linked
    /// documents) come first, then the other new documents, then the sources lose the files.
    func execute(_ record: EncodedJobGroup, store: WMBSStore, jobs: DocumentArea<JobBody>, workflow: String,
                 files: WMBSStore.Acquisition?) throws {
        let spool = store.spool
        let replay = files == nil
        let work = try files ?? store.replayAcquisition(record, workflow: workflow)
        let markers = JobMarkers(spool: spool).folder(workflow, record.subscription)
        try spool.ensureDirectories([markers])
        try spool.inBatch { batch in
            for job in record.jobs {
                let file = jobs.fileName(job.name)
                if replay && JobState.allCases.contains(where: { spool.contains(file, in: jobs.folder($0)) }) { continue }
                var links = work.documentLinks(of: job.name, store: store, workflow: workflow, subscription: record.subscription, replay: replay)
                // The job's marker (`JobMarkers`): its document as created, one more name for the same inode.
                if !(replay && spool.contains(file, in: markers)) { links.append((markers, file)) }
                try batch.publish(job.bytes, as: file, in: jobs.folder(job.state), alsoAs: links)
            }
            try store.apply(work, workflow: workflow, subscription: record.subscription, in: batch, mayExist: replay)
        }
        let groups = Layout.wmbs(workflow).subscription(record.subscription)
        let file = record.name + ".json"
        _ = try spool.move(file, from: groups.pendingJobGroups, to: groups.doneJobGroups)
        // The jobs now live in jobs/: the done record keeps its name (job numbering) and file keys, not
        // a second copy of every job. A crash before this leaves the full record in done/, which is harmless.
        var slim = record
        slim.jobs = []
        try spool.inBatch { try $0.replaceContent(of: file, in: groups.doneJobGroups, with: slim.recordBytes()) }
    }

    /// The next job number of a subscription: one past the highest in its job-group names.
    func nextJobNumber(store: WMBSStore, workflow: String, subscription: String) throws -> Int {
        let groups = Layout.wmbs(workflow).subscription(subscription)
        var highest = 0
        for folder in [groups.pendingJobGroups, groups.doneJobGroups] {
            for name in try store.spool.scan(folder).names {
                // g000001-000010.json
                if let dash = name.firstIndex(of: "-"), let last = Int(name[name.index(after: dash)...].prefix { $0.isNumber }) {
                    highest = max(highest, last)
                }
            }
        }
        return highest + 1
    }

    static func makeSplitContext(store: WMBSStore, workflow: String, subscription sub: Subscription, fileset: Fileset?,
                          available: [SplitFile], now: Double) throws -> SplitContext {
        var context = SplitContext(subscriptionType: SubscriptionType(rawValue: sub.taskType) ?? .processing,
                                   filesetClosed: !(fileset?.open ?? true), workflowInjected: true, now: now,
                                   trustSiteLists: sub.trustSiteLists)
        if sub.algorithm == SplittingAlgorithm.harvest.rawValue {
            // ReleasePeriodicJob: whether a harvest job is still running and when the last one ended, looked for
            // as far back as the period the splitter waits (the interval; an hour at end of run).
            let interval = try SplitParameters(sub.parameters).double("periodic_harvest_interval", default: 0)
            let history = try HarvestJobHistory.read(store: store, workflow: workflow, subscription: sub.name, now: now,
                                                     lookback: max(interval, 3600))
            context.harvestJobsInProgress = history.inProgress
            context.lastHarvestJobFinished = history.lastFinished
        }
        if sub.algorithm == SplittingAlgorithm.siblingProcessingBased.rawValue, let fileset {
            // Files every sibling subscription (the other consumers of the fileset) has completed or failed.
            let siblings = fileset.consumers.filter { $0 != sub.name }
            var completed: Set<String>?
            var failed: Set<String> = []
            for sibling in siblings {
                let done = try store.fileKeys(workflow, sibling, in: .completed)
                completed = completed.map { $0.intersection(done) } ?? done
                failed.formUnion(try store.fileKeys(workflow, sibling, in: .failed))
            }
            let lfnByKey = Dictionary(available.map { (FileKey.of($0.lfn), $0.lfn) }, uniquingKeysWith: { a, _ in a })
            context.siblingCompletedLFNs = Set((completed ?? []).compactMap { lfnByKey[$0] })
            context.siblingFailedLFNs = Set(failed.compactMap { lfnByKey[$0] })
        }
        return context
    }

    /// The catalog's pileup datasets of a subscription (nil without pileup). A dataset the catalog no longer holds
    /// (validation checked it existed) is logged as a warning and gives no files.
    func pileupDatasets(of sub: Subscription, context: StageContext) -> [CatalogDataset]? {
        guard let settings = sub.pileup else { return nil }
        let catalog = CatalogStore(spool: context.spool)
        return settings.datasets.compactMap { name in
            guard let dataset = catalog.dataset(named: name) else {
                context.log.warning("pileup dataset not in the catalog; jobs get none of its files",
                                    ["subscription": sub.name, "dataset": name])
                return nil
            }
            return dataset
        }
    }

    func makeJob(_ split: SplitJob, number: Int, locations: [String], workflow: String, subscription sub: Subscription,
                 pileup: [CatalogDataset]? = nil, now: Double) throws -> JobDocument {
        let name = JobName.make(workflowKey: WMBSStore.workflowKey(workflow), subscription: sub.name, number: number)
        let sites = SiteMapping.candidateSites(locations: split.inputFiles.first?.locations ?? locations,
                                             whitelist: sub.siteWhitelist, blacklist: sub.siteBlacklist,
                                             trustSiteLists: sub.trustSiteLists)
        var baggage = sub.baggage
        for (key, value) in split.baggage { baggage[key] = value }
        baggage["lfnCounter"] = .int(number)
        if let streams = sub.eventStreams, streams > 0 { baggage["eventStreams"] = .int(streams) }
        let events = split.inputFiles.reduce(0) { $0 + $1.events }
        var job = JobDocument(JobBody(
            name: name, workflow: workflow, task: sub.task, taskType: sub.taskType, subscription: sub.name,
            inputFiles: split.inputFiles, mask: split.mask, possibleSites: sites, priority: sub.jobPriority,
            estimatedTime: split.estimatedJobTime ?? Double(events) * sub.timePerEvent,
            estimatedDisk: split.estimatedDiskUsage ?? Double(events) * sub.sizePerEvent,
            estimatedMemory: split.estimatedMemoryUsage ?? sub.memory,
            baggage: baggage, outputs: sub.outputs.mapValues(\.spec)))
        job.numberOfCores = split.baggage[Tier0JobBaggage.numberOfCores]?.intValue ?? sub.cores
        if let useError = split.baggage[Tier0JobBaggage.useErrorDataset]?.boolValue {
            // A RepackMerge job writes Merged, or only MergedError (`-Error` dataset) for an oversized lumi.
            job.outputs = job.outputs.filter { $0.key.hasPrefix("MergedError") == useError }
        }
        job.requiresGPU = sub.requiresGPU
        job.gpuRequirements = sub.gpuRequirements
        job.jobExtraMatchRequirements = sub.jobExtraMatchRequirements
        job.includeParents = sub.includeParents
        job.performanceMonitor = sub.performanceLimits
        if let pileup, let settings = sub.pileup {
            job.pileupFiles = PileupFile.resolve(pileup, sites: sites, trustLocation: settings.trustLocation)
        }
        if let failure = split.creationFailure {
            job.exitCodes = [failure.code]
            try job.transition(to: .createfailed, actor: "wm-jobcreator", reason: "\(failure.code): \(failure.reason)", at: now)
        } else if sites.isEmpty {
            job.exitCodes = [71101]
            try job.transition(to: .created, actor: "wm-jobcreator", reason: "split by \(sub.algorithm)", at: now)
            try job.transition(to: .createfailed, actor: "wm-jobcreator",
                               reason: "71101: no site can run the job (locations \(locations), whitelist \(sub.siteWhitelist), blacklist \(sub.siteBlacklist))", at: now)
        } else {
            try job.transition(to: .created, actor: "wm-jobcreator", reason: "split by \(sub.algorithm)", at: now)
        }
        return job
    }

    func pad(_ n: Int) -> String { JobName.paddedNumber(n) }
}
