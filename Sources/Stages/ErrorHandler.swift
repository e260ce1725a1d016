import JobSplitting
import SpoolKit
import WMCore

/// `wm-errorhandler`: createfailed / submitfailed / jobfailed → cool-off or retrydone, then
/// retrydone → exhausted, by the policy in the agent configuration (WMCore's ErrorHandlerPoller).
public struct ErrorHandlerStage: StageCycle {
    public let name = "wm-errorhandler"

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let policy = try context.agentConfiguration().errorHandler
        let area = JobArea.make(context.spool)
        let pass = TransitionPass(area: area, actor: name)
        var report = CycleReport()
        for state in [JobState.createfailed, .submitfailed, .jobfailed] {
            let now = context.now()
            report.add(try pass.run(state, batchSize: context.options.batchSize, context: context) { job in
                switch policy.decide(state: state, taskType: job.taskType, retryCount: job.retryCount,
                                     exitCode: job.exitCodes.last, runTime: job.lastRunTime) {
                case .cooloff:
                    try job.transition(to: state.cooloffState!, actor: name,
                                       reason: "retry \(job.retryCount + 1) of \(policy.retryLimit(taskType: job.taskType)) after cool-off", at: now)
                case .retryNow:
                    try job.transition(to: state.cooloffState!, actor: name, reason: "pass exit code: retry at once", at: now)
                    try job.transition(to: .created, actor: name, reason: "pass exit code: retry at once", at: now)
                case .retryDone(let reason):
                    try job.transition(to: .retrydone, actor: name, reason: reason, at: now)
                }
                return true
            })
        }
        let now = context.now()
        let acdc = ACDCStore(spool: context.spool)
        let wmbs = WMBSStore(spool: context.spool)
        report.add(try pass.run(.retrydone, batchSize: context.options.batchSize, context: context) { job in
            // What the job still had to do goes to ACDC (not for LogCollect and Cleanup, as in WMCore).
            if !["LogCollect", "Cleanup"].contains(job.taskType) && !context.options.dryRun {
                let algorithm = (try? wmbs.subscription(job.workflow, job.subscription))??.algorithm ?? "FileBased"
                let record = ACDCRecord(workflow: job.workflow, task: job.task, splittingAlgorithm: algorithm,
                                        files: job.inputFiles.map { ACDCFile(job: job.body, file: $0) })
                try context.spool.inBatch { try acdc.add(record, name: job.name, in: $0) }
            }
            try job.transition(to: .exhausted, actor: name, reason: "retries exhausted; an ACDC record keeps its work", at: now)
            return true
        })
        return report
    }
}

extension ACDCFile {
    /// The whole of `file`, every lumi and no mask (WMCore's record for a skipped input file).
    public init(unmasked file: SplitFile) {
        self.init(lfn: file.lfn, events: file.events, locations: file.locations,
                  lumis: file.runs.flatMap { run in run.lumis.map { LumiSection(run: run.run, lumi: $0) } },
                  mask: nil, parents: file.parents)
    }

    /// The part of `file` a failed job still had to do: the lumis of its mask (or the file's), and for
    /// the MC fake file exactly the job's event range.
    public init(job: JobBody, file: SplitFile) {
        let mask = job.mask
        var lumis = ACDCFile(unmasked: file).lumis
        var events = file.events
        if !mask.runAndLumis.isEmpty {
            lumis = lumis.filter { lumi in
                mask.runAndLumis.contains { $0.run == lumi.run && $0.ranges.contains { $0.count == 2 && $0[0] <= lumi.lumi && lumi.lumi <= $0[1] } }
            }
        } else if let first = mask.firstLumi, let last = mask.lastLumi {
            lumis = (first...max(first, last)).map { LumiSection(run: mask.firstRun ?? file.runs.first?.run ?? 1, lumi: $0) }
        }
        if file.lfn.hasPrefix("MCFakeFile"), let first = mask.firstEvent, let last = mask.lastEvent {
            events = last - first + 1
        }
        self.init(lfn: file.lfn, events: events, locations: file.locations, lumis: lumis, mask: mask, parents: file.parents)
    }
}
