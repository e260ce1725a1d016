import SpoolKit
import SpoolLayout
import WMCore

/// `wm-retrymanager`: cool-off → created when the task type's retry algorithm says the job is due;
/// Pause sends it to the paused state for an operator (who resumes it to `created` or fails it to
/// `retrydone`, by `wmctl job` or by moving the file).
public struct RetryManagerStage: StageCycle {
    public let name = "wm-retrymanager"

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let config = try context.agentConfiguration()
        let area = Areas.jobs(context.spool)
        let pass = TransitionPass(area: area, actor: name)
        var report = CycleReport()
        for state in [JobState.createcooloff, .submitcooloff, .jobcooloff] {
            let now = context.now()
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { job in
                let entered = job.history.last(where: { $0.to == state.rawValue })?.time ?? now
                let decision = config.retryManager.decide(
                    taskType: job.taskType, kind: state.failureKind ?? "job", retryCount: job.retryCount,
                    enteredCooloff: entered, now: now, exitCode: job.exitCodes.last, runTime: job.lastRunTime,
                    maxRetries: config.errorHandler.retryLimit(taskType: job.taskType))
                switch decision {
                case .wait:
                    return false
                case .retry(let count):
                    job.retryCount = count
                    try job.transition(to: .created, actor: name, reason: "cool-off over; retry \(count + 1)", at: now)
                case .pause(let reason):
                    try job.transition(to: state.pausedState!, actor: name, reason: reason, at: now)
                case .giveUp(let reason):
                    try job.transition(to: .retrydone, actor: name, reason: reason, at: now)
                }
                return true
            })
        }
        return report
    }
}
