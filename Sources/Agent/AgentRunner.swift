import Commands
import Foundation
import Operator
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmagent run`: every stage in pipeline order in one process, until the spool is quiet (`--once`) or
/// forever (`--watch`). Each stage keeps its own lock, so a cron-driven copy of a stage backs off.
public struct AgentRunner {
    /// The stages in order.
    public let stages: [StageCycle]
    /// Called after every pass with what the pass did (the live view).
    public var onPass: ((PassSummary) -> Void)?

    /// What one pass over the stages did.
    public struct PassSummary: Sendable {
        /// Documents moved on, per stage.
        public var done: [String: Int]
        /// Jobs still in flight (not yet archived).
        public var activeJobs: Int
        /// Seconds since the run began.
        public var elapsed: Double
        /// Jobs archived since the run began.
        public var jobsFinished = 0
        /// Events in merged outputs recorded since the run began (every output dataset).
        public var eventsRecorded = 0
    }

    /// In `--once` mode, give up when nothing moved for this many seconds while jobs are still active
    /// (a site is down, jobs wait for an operator): the run ends instead of waiting forever.
    public var stallTimeout: Double

    /// Seconds at least between two writes of the operations page (`www/index.html`) after a pass; 0 writes none.
    /// `wmagent run` sets `defaultReportInterval` unless told otherwise; a runner made here writes none.
    public var reportInterval: Double = 0
    /// `wmagent run --report-interval`'s default.
    public static let defaultReportInterval: Double = 5
    /// Called with the time of every operations page written (tests count them).
    public var onPageWritten: ((Double) -> Void)?

    /// Makes a runner.
    public init(stages: [StageCycle], stallTimeout: Double = 900) {
        self.stages = stages
        self.stallTimeout = stallTimeout
    }

    /// When the operations page is due: after a pass when `interval` seconds have passed since the last write
    /// (the first pass always), and once more when the run ends.
    struct PageSchedule {
        /// Seconds at least between two writes; 0 writes none.
        let interval: Double
        /// When the page was last written.
        private(set) var lastWritten: Double?

        init(interval: Double) { self.interval = interval }

        /// True when a page is due at `now` (`final`: the run ends, due whenever pages are written at all).
        func isDue(now: Double, final: Bool) -> Bool {
            guard interval > 0 else { return false }
            guard let lastWritten, !final else { return true }
            return now - lastWritten >= interval
        }

        /// Notes a write at `now`.
        mutating func written(at now: Double) { lastWritten = now }
    }

    /// Writes the operations page when `schedule` says it is due; a failure is logged and the run goes on.
    func writePage(_ schedule: inout PageSchedule, final: Bool, context: StageContext) {
        let now = context.now()
        guard schedule.isDue(now: now, final: final) else { return }
        schedule.written(at: now)
        do {
            try OperationsPageWriter(spool: context.spool).publishInSpool(now: now)
            onPageWritten?(now)
        } catch {
            context.log.error("operations page not written; the agent goes on", ["error": "\(error)"])
        }
    }

    /// The run ended with work left that nothing can move.
    public struct Stalled: ExitStatusError {
        /// Work is left that may move later: try again (75).
        public var exitCode: ExitCode { .tryAgain }
        /// Jobs left.
        public var activeJobs: Int
        /// Seconds without progress.
        public var seconds: Double
        public var description: String {
            "no progress for \(Int(seconds)) s with \(activeJobs) job(s) still active; see wmctl status"
        }
    }

    /// Runs until quiet (once) or until a stop is requested (watch).
    public func run(context: StageContext, watch: Bool) throws -> [String: Int] {
        var locks: [StageLock] = []
        defer { locks.forEach { $0.release() } }
        for name in Set(stages.map(\.name)).sorted() { locks.append(try StageLock(spool: context.spool, stage: name)) }
        _ = try? context.spool.purgeTemporaryFiles()
        var totals: [String: Int] = [:]
        var lastProgress: [String: Double] = [:]
        for name in Set(stages.map(\.name)) { lastProgress[name] = StageRunner.progressBaseline(stage: name, context: context) }
        let start = context.now()
        var lastPurge = start
        var lastAnyProgress = start
        var finished = CycleReport()
        var pages = PageSchedule(interval: reportInterval)
        defer { writePage(&pages, final: true, context: context) }
        while !StopSignal.isRequested {
            var passDone: [String: Int] = [:]
            for stage in stages {
                if StopSignal.isRequested { break }
                var stageTotal = CycleReport()
                for _ in 0..<50 {
                    let report: CycleReport
                    do {
                        report = try stage.runCycle(context)
                    } catch {
                        context.log.error("stage failed", ["stage": stage.name, "error": "\(error)"])
                        break
                    }
                    stageTotal.add(report)
                    if report.done == 0 && report.quarantined == 0 { break }
                }
                passDone[stage.name] = stageTotal.done
                // What the stage's batches held goes back to the system (each thread's arena keeps its high-water mark).
                if stageTotal.done > 0 || stageTotal.quarantined > 0 { FreedMemory.release() }
                finished.jobsFinished += stageTotal.jobsFinished
                finished.eventsRecorded += stageTotal.eventsRecorded
                totals[stage.name, default: 0] += stageTotal.done
                if stageTotal.done > 0 { lastProgress[stage.name] = context.now() }
                StageRunner.recordHealth(stage: stage.name, total: CycleReport(done: totals[stage.name] ?? 0, backlog: stageTotal.backlog),
                                         lastProgress: lastProgress[stage.name] ?? start, context: context)
            }
            // A long --watch run cleans what killed processes left in .tmp/ now and then, not only when it starts (on a
            // central spool the agents' processes write there too).
            if context.now() - lastPurge > 60 {
                _ = try? context.spool.purgeTemporaryFiles()
                lastPurge = context.now()
            }
            let active = try Areas.activeJobCount(context.spool)
            onPass?(PassSummary(done: passDone, activeJobs: active, elapsed: context.now() - start,
                                jobsFinished: finished.jobsFinished, eventsRecorded: finished.eventsRecorded))
            writePage(&pages, final: false, context: context)
            let idle = passDone.values.allSatisfy { $0 == 0 }
            if !idle { lastAnyProgress = context.now() }
            if idle && active == 0 && !watch { break }
            if idle && !watch && context.now() - lastAnyProgress > stallTimeout {
                throw Stalled(activeJobs: active, seconds: context.now() - lastAnyProgress)
            }
            if idle { usleep(watch ? useconds_t(context.options.interval * 1e6) : 200_000) }
        }
        return totals
    }
}
