import Foundation
import FrameworkJobReport
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-accountant`: `jobs/complete` → `success` or `jobfailed` from each job's framework job report
/// (WMCore's JobAccountant), recording the outputs in WMBS, the DBS buffer and ACDC.
///
/// A job succeeds when its step succeeded, its output modules match its outputs (LogCollect, Cleanup and Harvesting
/// excepted; absent `MergedError*` modules allowed), every output has a storage location and no output LFN
/// was recorded by another job. A missing report fails it with 99999, an empty one 99998, an unreadable one
/// 99997 (a missing one of a job already accounted a success is a copy of a finished job: set aside, not failed),
/// a contradicting one 99996, one that belongs to another job attempt (its `WMWrapper` stamp names
/// another job or retry, or is missing, or an output holds a lumi outside the job's mask) 99995 — nothing of
/// such a report is recorded, not even its log archive; otherwise the report's exit code. Work goes in batches: every output of
/// a batch is recorded in one group commit, then the batch's jobs move in a second (effects first).
public struct AccountantStage: StageCycle {
    public let name = "wm-accountant"

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let jobs = Areas.jobs(context.spool)
        try jobs.ensureFolders()
        try context.spool.ensureDirectories(AccountingAreas.dbsBufferFileFolders)
        let pass = TransitionPass(area: jobs, actor: name)
        let recorder = OutputRecorder(spool: context.spool)
        let now = context.now()
        var events = 0
        var report = try pass.runEffectsFirst(.complete, batchSize: context.options.batchSize, context: context,
            plan: { documents in
                var planner = AccountingPlanner(spool: context.spool, now: now)
                return planner.plan(documents)
            },
            apply: { plans, batch in
                try recorder.record(plans, in: batch)
                events += plans.reduce(0) { $0 + $1.dbsFiles.reduce(0) { $0 + $1.events } }
            },
            decide: { job, plan in try plan.decide(&job, actor: name, at: now) })
        report.eventsRecorded = events
        return report
    }
}

/// What the accountant decided for one job attempt and must record.
public struct JobAccounting {
    /// The job's name.
    public var job: String
    /// Its workflow.
    public var workflow: String
    /// `<job>-<retry>`: the owner recorded in the LFN registry.
    public var owner: String
    /// Why the job failed, nil on success.
    public var failure: AccountingFailure?
    /// Run time from the report's wrapper fields.
    public var runTime: Double?
    /// LFNs to claim in the workflow's registry (none this attempt claimed before).
    public var claims: [String] = []
    /// Output LFNs whose claim is new in this batch: nothing of theirs can have been recorded yet (claims
    /// are published before the files in the same commit), so their files are added without looking for
    /// earlier copies. The outputs of a replayed batch are not in it and are looked for.
    public var newOutputs: Set<String> = []
    /// Files to add to filesets: fileset name → files.
    public var filesetFiles: [(fileset: String, file: SplitFile)] = []
    /// Files for the DBS buffer.
    public var dbsFiles: [DBSBufferFile] = []
    /// Straight-to-merge moves on storage (absolute PFNs).
    public var storageMoves: [(from: String, to: String)] = []
    /// Skipped inputs to fail in the job's subscription (file keys).
    public var failedInputKeys: [String] = []
    /// The job's subscription.
    public var subscription: String
    /// ACDC record for skipped inputs.
    public var acdc: ACDCRecord?
    /// The attempt's accounting record.
    public var record: AccountingRecord

    /// Records the outcome on the job document: the transition, the exit code, the run time.
    func decide(_ job: inout JobDocument, actor: String, at now: Double) throws {
        if let runTime {
            job.lastRunTime = runTime
        }
        if let failure {
            job.exitCodes.append(failure.exitCode)
            try job.transition(to: .jobfailed, actor: actor, reason: failure.description, at: now)
        } else {
            try job.transition(to: .success, actor: actor, reason: "report accounted: \(record.outputs.count) output(s)", at: now)
        }
    }
}

/// Reads the reports of a batch of jobs and decides each (reads only; `OutputRecorder` writes).
package struct AccountingPlanner {
    let spool: Spool
    let now: Double
    let store: WMBSStore
    let registry: LFNRegistry
    /// LFNs claimed by earlier jobs of this batch.
    private var claimedInBatch: [String: String] = [:]
    private var subscriptions: [String: Subscription?] = [:]
    private var filesets: [String: Fileset?] = [:]
    private var mergeBases: [String: String?] = [:]
    private var runtimes: [[UInt8]: JobWorkDirectory.Runtime?] = [:]
    /// The current job's output LFNs that the registry already gives to it (a replay).
    private var claimedBefore: Set<String> = []

    init(spool: Spool, now: Double) {
        self.spool = spool
        self.now = now
        store = WMBSStore(spool: spool)
        registry = LFNRegistry(spool: spool)
    }

    /// Plans every job of the batch.
    mutating func plan(_ jobs: [JobDocument]) -> [String: Result<JobAccounting, any Error>] {
        var plans: [String: Result<JobAccounting, any Error>] = [:]
        for job in jobs {
            do { plans[job.name] = .success(try plan(job.body)) } catch { plans[job.name] = .failure(error) }
        }
        return plans
    }

    mutating func plan(_ job: JobBody) throws -> JobAccounting {
        let work = JobWorkDirectory(spool: spool, job: job)
        let owner = job.submissionKey
        guard let sub = try subscription(job.workflow, job.subscription) else {
            throw DocumentProblem("\(store.subscriptionFolder(job.workflow, job.subscription))/subscription.json: missing; "
                                  + "job \(job.name) names subscription '\(job.subscription)'")
        }
        var plan = JobAccounting(job: job.name, workflow: job.workflow, owner: owner, subscription: sub.name,
                                 record: Self.emptyRecord(job))
        let report: FrameworkJobReport
        do {
            report = try FrameworkJobReportReader().read(contentsOfFile: work.reportPath)
        } catch {
            if case .missingFile = error, let earlier = try accountedSuccess(of: job) {
                throw DocumentProblem("job \(job.name) already succeeded (attempt \(earlier) was accounted) and its work directory "
                                      + "is gone: this document is a second copy of the job (moved or copied by hand?); "
                                      + "set aside so the job is not failed and run again")
            }
            return fail(plan, .badReport(error))
        }
        if let foreign = Self.ownership(report, job: job, source: work.reportPath) { return fail(plan, foreign) }
        if let badLFN = Self.invalidLFN(in: report, source: work.reportPath, readsLogArchives: job.knownTaskType == .logCollect) {
            return fail(plan, .badReport(badLFN))
        }
        let runtime = work.runtime(decoded: &runtimes)
        plan.runTime = report.wrapper.startTime.flatMap { start in report.wrapper.stopTime.map { $0 - start } }
        fillRecord(&plan.record, report: report, job: job, runtime: runtime, runTime: plan.runTime)
        let storage = StorageResolver(spool: spool, runtime: runtime)
        let logFiles = report.outputFiles(module: FilesetNaming.logArchiveModule)
        if let failure = try check(report, job: job, source: work.reportPath, storage: storage, owner: owner) {
            plan = fail(plan, failure)
            try recordLogArchives(logFiles, job: job, storage: storage, owner: owner, into: &plan)
            return plan
        }
        try recordLogArchives(logFiles, job: job, storage: storage, owner: owner, into: &plan)
        try recordOutputs(report, job: job, subscription: sub, storage: storage, owner: owner, into: &plan)
        try recordSkipped(report, job: job, subscription: sub, into: &plan)
        return plan
    }

    /// `<job>-<retry>` of an attempt of `job` accounted as a success, or nil. A job succeeds once: a document of it
    /// whose report is missing after that is a copy of a finished job (its work directory was cleaned at archiving),
    /// not a job that lost its report. Read only on that path, so the common path reads no records.
    func accountedSuccess(of job: JobBody) throws -> String? {
        try AccountingRecords.read(spool: spool, workflow: job.workflow)
            .first { $0.job == job.name && $0.outcome == JobState.success.rawValue }
            .map { "\($0.job)-\($0.retry)" }
    }

    /// Why `report` is not the report of this job attempt, or nil when it is: the wrapper's stamp must name the
    /// job and its retry, and every output's lumis must lie in the job's mask (when the mask names lumis), so
    /// a report copied or swapped from another job never registers that job's lumis a second time.
    package static func ownership(_ report: FrameworkJobReport, job: JobBody, source: String) -> AccountingFailure? {
        let expected = job.submissionKey
        guard report.wrapper.jobName == job.name, report.wrapper.retry == job.retryCount else {
            return .foreignReport(report: source, expected: expected, found: report.wrapper.attempt)
        }
        let mask = job.mask
        guard mask.inclusiveMask, !mask.runAndLumis.isEmpty || (mask.firstLumi != nil && mask.lastLumi != nil) else { return nil }
        for file in report.outputFiles where file.moduleLabel != FilesetNaming.logArchiveModule {
            for run in file.runs.runs {
                for lumi in file.runs.lumis(inRun: run) where !mask.holds(run: run, lumi: lumi) {
                    return .lumiOutsideMask(report: source, lfn: file.lfn, run: run, lumi: lumi)
                }
            }
        }
        return nil
    }

    /// The first LFN of `report` that is not a valid LFN (`LFNRule`), as a bad-report error naming the file, the field
    /// and the LFN: nothing of such a report is recorded, so its LFN never reaches a merge, a cleanup or the catalog.
    /// Every output must have one; an input, an output's parent input, a skipped or a fallback file may have none
    /// (CMSSW leaves the LFN of a file it opened by PFN empty), but one it names must be valid. Log archives (the
    /// `logArchive` output, and every input of a LogCollect job: `readsLogArchives`) may reach `LFNRule.maxLogArchiveLength`.
    static func invalidLFN(in report: FrameworkJobReport, source: String, readsLogArchives: Bool = false) -> ReportReadError? {
        let inputLimit = readsLogArchives ? LFNRule.maxLogArchiveLength : LFNRule.maxLength
        var named: [(field: String, lfn: String, limit: Int)] = report.outputFiles.map {
            ("File/LFN (module \($0.moduleLabel))", $0.lfn,
             $0.moduleLabel == FilesetNaming.logArchiveModule ? LFNRule.maxLogArchiveLength : LFNRule.maxLength)
        }
        named += report.outputFiles.flatMap { file in file.inputs.compactMap(\.lfn).map { ("File/Inputs/Input/LFN (module \(file.moduleLabel))", $0, inputLimit) } }
            .filter { !$0.1.isEmpty }
        named += report.inputFiles.map { ("InputFile/LFN (module \($0.moduleLabel))", $0.lfn, inputLimit) }.filter { !$0.1.isEmpty }
        named += (report.skippedFiles.map { ("SkippedFile Lfn", $0.lfn) } + report.fallbackFiles.map { ("FallbackAttempt Lfn", $0.lfn) })
            .compactMap { field, lfn in lfn.flatMap { $0.isEmpty ? nil : (field, $0, inputLimit) } }
        for (field, lfn, limit) in named {
            if let problem = LFNRule.problem(lfn, maxLength: limit) {
                return .invalidValue(source: source, line: nil, field: field, value: lfn,
                                     expected: "\(LFNRule.expectation(maxLength: limit)); \(problem)")
            }
        }
        return nil
    }

    private func fail(_ plan: JobAccounting, _ failure: AccountingFailure) -> JobAccounting {
        var plan = plan
        plan.failure = failure
        plan.record.outcome = JobState.jobfailed.rawValue
        plan.record.exitCode = failure.exitCode
        if case .stepFailed = failure {} else {
            plan.record.errors.insert(.init(type: failure.type, exitCode: failure.exitCode, details: failure.description), at: 0)
        }
        return plan
    }

    /// The first reason the job fails, or nil.
    private mutating func check(_ report: FrameworkJobReport, job: JobBody, source: String, storage: StorageResolver,
                                owner: String) throws -> AccountingFailure? {
        if report.exitCode != 0 || !report.wrapper.isStepSuccessful {
            let code = report.exitCode != 0 ? report.exitCode : report.wrapper.stepStatus
            let first = report.errors.first.map { "\($0.type): \($0.details)" } ?? "step status \(report.wrapper.stepStatus)"
            return .stepFailed(code: code, detail: String(first.prefix(500)))
        }
        let found = Set(report.outputModules).subtracting([FilesetNaming.logArchiveModule])
        if job.knownTaskType?.reportsItsOutputModules ?? true {
            let expected = Set(job.outputs.keys).filter { !($0.hasPrefix("MergedError") && !found.contains($0)) }
            if found != expected { return .moduleMismatch(report: source, expected: expected.sorted(), found: found.sorted()) }
        }
        for file in report.outputFiles where storage.location(of: file) == nil {
            return .missingLocation(report: source, lfn: file.lfn, pfn: file.pfn, expected: storage.expectedPFN(of: file.lfn))
        }
        claimedBefore = []
        for file in report.outputFiles {
            let holder = try claimedInBatch[file.lfn] ?? registry.owner(of: file.lfn, workflow: job.workflow)
            if let holder, holder != owner { return .duplicateOutput(report: source, lfn: file.lfn, owner: holder) }
            if holder != nil && claimedInBatch[file.lfn] == nil { claimedBefore.insert(file.lfn) }
        }
        return nil
    }

    /// Claims the job's log tarballs and adds them to the task's LogCollect fileset when there is one.
    private mutating func recordLogArchives(_ files: [OutputFile], job: JobBody, storage: StorageResolver, owner: String,
                                            into plan: inout JobAccounting) throws {
        for file in files {
            guard let location = storage.location(of: file) else { continue }
            let holder = try claimedInBatch[file.lfn] ?? registry.owner(of: file.lfn, workflow: job.workflow)
            if let holder, holder != owner { continue }
            // Log tarball LFNs hold the job name and retry, so they are unique by construction: no marker.
            claimedInBatch[file.lfn] = owner
            plan.record.logArchive = file.lfn
            let fileset = FilesetNaming.logArchive(taskPath: job.task)
            if try self.fileset(job.workflow, fileset) != nil {
                plan.filesetFiles.append((fileset, SplitFile(lfn: file.lfn, size: file.size ?? 0, locations: [location],
                                                             insertTime: now, parents: [])))
            }
        }
    }

    /// Claims `lfn` for `owner`; true when the claim is new (not made by an earlier run of this batch).
    private mutating func claim(_ lfn: String, owner: String, into plan: inout JobAccounting) -> Bool {
        claimedInBatch[lfn] = owner
        guard !claimedBefore.contains(lfn) else { return false }
        plan.claims.append(lfn)
        return true
    }

    /// Records each data output: unmerged → the output's unmerged filesets; merged (merge jobs, straight to
    /// merge) → its merged filesets and, when registered in the catalog, the DBS buffer.
    private mutating func recordOutputs(_ report: FrameworkJobReport, job: JobBody, subscription sub: Subscription,
                                        storage: StorageResolver, owner: String, into plan: inout JobAccounting) throws {
        let skipped = Set(report.skippedFiles.compactMap(\.lfn))
        let parents = job.inputFiles.map(\.lfn).filter { !skipped.contains($0) }
        let dbsParents = OutputRules.dbsParents(inputs: job.inputFiles.filter { !skipped.contains($0.lfn) }.map { ($0.lfn, $0.parents) })
        for file in report.outputFiles where file.moduleLabel != FilesetNaming.logArchiveModule {
            guard let output = sub.outputs[file.moduleLabel], let location = storage.location(of: file) else { continue }
            let spec = job.outputs[file.moduleLabel] ?? output.spec
            let size = file.size ?? 0
            var lfn = file.lfn
            var merged = spec.merged
            if !merged, OutputRules.goesStraightToMerge(size: size, events: file.events, tier: spec.dataTier,
                                                        minMergeSize: output.minMergeSize, maxMergeEvents: output.maxMergeEvents),
               let mergedBase = try mergeBase(job.workflow, output),
               let target = OutputRules.mergedLFN(file.lfn, unmergedBase: spec.lfnBase, mergedBase: mergedBase) {
                plan.storageMoves.append((storage.pfn(file.lfn, at: location), storage.pfn(target, at: location)))
                lfn = target
                merged = true
            }
            if claim(file.lfn, owner: owner, into: &plan) { plan.newOutputs.insert(lfn) }
            let runs = file.runs.runs.map { FileRun(run: $0, lumis: file.runs.lumis(inRun: $0)) }
            let wmbsFile = SplitFile(lfn: lfn, size: size, events: file.events, firstEvent: job.mask.firstEvent ?? 0,
                                     locations: [location], runs: runs, insertTime: now, parents: parents, merged: merged)
            for fileset in merged ? output.mergedFilesets : output.unmergedFilesets { plan.filesetFiles.append((fileset, wmbsFile)) }
            let registered = merged && output.registerInCatalog
            if registered {
                // A StepChain output says what its own step ran with (WMCore: each step's CMSSW release and GlobalTag).
                let provenance = ChainStep.provenance(ofModule: file.moduleLabel, baggage: job.baggage)
                let lumis = file.runs.runs.flatMap { run in
                    file.runs.lumis(inRun: run).map { LumiSection(run: run, lumi: $0, events: file.runs.events(run: run, lumi: $0) ?? nil) }
                }
                plan.dbsFiles.append(DBSBufferFile(
                    lfn: lfn, dataset: spec.dataset, location: location, size: size, events: file.events,
                    adler32: file.adler32 ?? "", cksum: file.cksum ?? "", lumis: lumis, parents: dbsParents,
                    workflow: job.workflow, task: job.task, outputModule: file.moduleLabel,
                    release: provenance.release ?? "UNKNOWN", globalTag: provenance.globalTag ?? "UNKNOWN",
                    prepID: job.baggage["PrepID"]?.stringValue, insertTime: now))
            }
            plan.record.outputs.append(.init(module: file.moduleLabel, lfn: lfn, dataset: registered ? spec.dataset : nil,
                                             size: size, events: file.events, merged: merged))
        }
    }

    /// Skipped inputs are failed in the subscription and written to ACDC (not for LogCollect or Cleanup).
    private func recordSkipped(_ report: FrameworkJobReport, job: JobBody, subscription sub: Subscription,
                               into plan: inout JobAccounting) throws {
        let skipped = Set(report.skippedFiles.compactMap(\.lfn))
        let inputs = job.inputFiles.filter { skipped.contains($0.lfn) }
        guard !inputs.isEmpty, job.knownTaskType?.keepsFailedWorkInACDC ?? true else { return }
        plan.failedInputKeys = inputs.map { FileKey.of($0.lfn) }
        plan.acdc = ACDCRecord(workflow: job.workflow, task: job.task, splittingAlgorithm: sub.algorithm, files: try inputs.map { ACDCFile(unmasked: $0, catalogLumis: try CatalogStore(spool: spool).lumis(of: $0.lfn)) })
    }

    private static func emptyRecord(_ job: JobBody) -> AccountingRecord {
        AccountingRecord(job: job.name, retry: job.retryCount, workflow: job.workflow, task: job.task, taskType: job.taskType,
                         outcome: JobState.success.rawValue, exitCode: 0, step: WrapperInfo.defaultStepName, errors: [],
                         site: job.site, jobTime: nil, peakRSS: nil, events: 0, inputs: job.inputFiles.map(\.lfn),
                         runs: Array(Set(job.inputFiles.flatMap { $0.runs.map(\.run) })).sorted(), outputs: [], logArchive: nil)
    }

    private func fillRecord(_ record: inout AccountingRecord, report: FrameworkJobReport, job: JobBody,
                            runtime: JobWorkDirectory.Runtime?, runTime: Double?) {
        let performance = report.performance
        record.step = report.wrapper.stepName
        record.site = report.wrapper.siteName ?? runtime?.site ?? job.site
        record.errors = report.errors.map { .init(type: $0.type, exitCode: $0.exitStatus, details: $0.details) }
        record.peakRSS = performance.memory["PeakValueRss"].flatMap { Double($0) }
        record.jobTime = performance.cpu["TotalJobTime"].flatMap { Double($0) } ?? runTime
        record.cpuTime = performance.cpu["TotalJobCPU"].flatMap { Double($0) }
        record.threads = performance.cpu["NumberOfThreads"].flatMap { Int($0) } ?? job.numberOfCores
        let read = SaturatingArithmetic.sum(report.inputFiles.lazy.filter { $0.inputType == .primaryFiles }.map(\.events))
        record.events = read > 0 ? read : report.outputFiles.map(\.events).max() ?? 0
    }

    private mutating func subscription(_ workflow: String, _ name: String) throws -> Subscription? {
        let key = workflow + "/" + name
        if let cached = subscriptions[key] { return cached }
        let sub = try store.subscription(workflow, name)
        subscriptions[key] = sub
        return sub
    }

    private mutating func fileset(_ workflow: String, _ name: String) throws -> Fileset? {
        let key = workflow + "\u{0}" + name
        if let cached = filesets[key] { return cached }
        let fileset = try store.fileset(workflow, name)
        filesets[key] = fileset
        return fileset
    }

    /// The merged LFN directory for straight-to-merge files of an output: the `Merged` output of the Merge
    /// subscription that reads the output's unmerged fileset (the directory the merge would have written to).
    private mutating func mergeBase(_ workflow: String, _ output: SubscriptionOutput) throws -> String? {
        let key = workflow + "\u{0}" + output.unmergedFilesets.joined(separator: ",")
        if let cached = mergeBases[key] { return cached }
        var base: String?
        search: for name in output.unmergedFilesets {
            guard let fileset = try fileset(workflow, name) else { continue }
            for consumer in fileset.consumers {
                if let sub = try subscription(workflow, consumer), sub.knownTaskType == .merge,
                   let merged = sub.outputs["Merged"] ?? sub.outputs.values.first {
                    base = merged.spec.lfnBase
                    break search
                }
            }
        }
        mergeBases[key] = base
        return base
    }
}

/// Where a job's outputs are: on the storage node `runtime.json` names (`pnn`), at PFN = `<prefix of PNN>` + LFN, the
/// prefix from `runtime.json` (`storagePrefix`, default `<spool>/storage/<pnn>`). The PFN is derived, never taken
/// from the report: a report's PFN is only compared with the derived one.
struct StorageResolver {
    let spool: Spool
    let runtime: JobWorkDirectory.Runtime?

    /// The storage prefix of a PNN.
    func prefix(of pnn: String) -> String {
        if let runtime, runtime.pnn == pnn, let prefix = runtime.storagePrefix, !prefix.isEmpty { return prefix }
        return spool.path(Layout.storage(pnn))
    }

    /// The PFN of an LFN on a PNN.
    func pfn(_ lfn: String, at pnn: String) -> String { prefix(of: pnn) + lfn }

    /// The job's storage node: `runtime.json`'s `pnn`, when it is a safe name.
    var pnn: String? {
        guard let pnn = runtime?.pnn, !pnn.isEmpty, Spool.isSafeName(pnn) else { return nil }
        return pnn
    }

    /// The PFN an output with `lfn` must have: the LFN on the job's storage node; nil without a node or a valid LFN
    /// (of at most `LFNRule.maxLogArchiveLength` characters: `invalidLFN` has held data outputs to `LFNRule.maxLength`).
    func expectedPFN(of lfn: String) -> String? {
        guard let pnn, LFNRule.problem(lfn, maxLength: LFNRule.maxLogArchiveLength) == nil else { return nil }
        return pfn(lfn, at: pnn)
    }

    /// The PNN holding a reported file: the job's storage node, when the report's PFN is the one derived from its
    /// LFN there; nil otherwise (the report contradicts where the job wrote).
    func location(of file: OutputFile) -> String? {
        guard let pnn, let expected = expectedPFN(of: file.lfn), file.pfn == expected else { return nil }
        return pnn
    }
}

extension JobMask {
    /// True when the mask takes `lumi` of `run`: in one of its `runAndLumis` ranges, or else within its first and
    /// last lumi (and run, when set). Only for masks that name lumis.
    func holds(run: Int, lumi: Int) -> Bool {
        if !runAndLumis.isEmpty {
            return runAndLumis.contains { $0.run == run && $0.ranges.contains { $0.count == 2 && $0[0] <= lumi && lumi <= $0[1] } }
        }
        guard let first = firstLumi, let last = lastLumi, first <= lumi, lumi <= last else { return false }
        return (firstRun.map { $0 <= run } ?? true) && ((lastRun ?? firstRun).map { run <= $0 } ?? true)
    }
}
