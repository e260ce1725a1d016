import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-errorhandler`: createfailed / submitfailed / jobfailed → cool-off or retrydone, then
/// retrydone → exhausted, by the policy in the agent configuration (WMCore's ErrorHandlerPoller).
public struct ErrorHandlerStage: StageCycle {
    public let name = "wm-errorhandler"

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let policy = try context.agentConfiguration().errorHandler
        let area = Areas.jobs(context.spool)
        let pass = TransitionPass(area: area, actor: name)
        var report = CycleReport()
        for state in [JobState.createfailed, .submitfailed, .jobfailed] {
            let now = context.now()
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { job in
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
        let unfinished = UnfinishedWork(spool: context.spool)
        report.include(try pass.run(.retrydone, batchSize: context.options.batchSize, context: context) { job in
            // What the job still had to do goes to ACDC (not for LogCollect and Cleanup, as in WMCore).
            if !context.options.dryRun {
                try context.spool.inBatch { try unfinished.keep(job, name: job.name, in: $0) }
            }
            try job.transition(to: .exhausted, actor: name, reason: "retries exhausted; an ACDC record keeps its work", at: now)
            return true
        })
        return report
    }
}
