import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// What one cycle of a stage did.
public struct CycleReport: Sendable, Equatable {
    /// Documents moved on.
    public var done: Int
    /// Documents still waiting in the stage's input after the cycle.
    public var backlog: Int
    /// Documents quarantined.
    public var quarantined: Int
    /// Jobs that left the pipeline for good (archived after cleanout): the live view's "jobs done".
    public var jobsFinished = 0
    /// Events in the merged outputs recorded for the catalog (every output dataset): the live view's events.
    public var eventsRecorded = 0

    /// Makes a report.
    public init(done: Int = 0, backlog: Int = 0, quarantined: Int = 0) {
        self.done = done
        self.backlog = backlog
        self.quarantined = quarantined
    }

    /// Adds a later cycle's counts (backlog is taken from the later one).
    public mutating func add(_ other: CycleReport) {
        include(other)
        backlog = other.backlog
    }

    /// Adds the counts of another pass of the same cycle over a different input: the backlogs add up.
    public mutating func include(_ other: CycleReport) {
        done += other.done
        quarantined += other.quarantined
        jobsFinished += other.jobsFinished
        eventsRecorded += other.eventsRecorded
        backlog += other.backlog
    }
}

/// Everything a stage cycle needs: the spool, the options, a logger and the clock.
public struct StageContext: @unchecked Sendable {
    /// The spool.
    public var spool: Spool
    /// The parsed options.
    public var options: StageOptions
    /// The logger.
    public var log: Logger
    /// The clock (seconds since the epoch); tests substitute their own.
    public var now: @Sendable () -> Double

    /// Makes a context.
    public init(spool: Spool, options: StageOptions, log: Logger, now: @escaping @Sendable () -> Double = { WallClock.now() }) {
        self.spool = spool
        self.options = options
        self.log = log
        self.now = now
    }
}

/// A stage: one cycle of work over the spool. Cycles must be safe to replay after `kill -9`.
public protocol StageCycle {
    /// The stage's name, e.g. `wm-jobcreator`; used for its lock and health record.
    var name: String { get }
    /// Does one bounded batch of work.
    func runCycle(_ context: StageContext) throws -> CycleReport
    /// Which kind of spool the stage runs on (`.agent` unless the stage says otherwise).
    var placement: StagePlacement { get }
}

extension StageCycle {
    public var placement: StagePlacement { .agent }
}

/// Which kind of spool a stage runs on when agents have spools of their own (`SpoolRole`). On an all-in-one spool
/// every stage runs.
public enum StagePlacement: Sendable {
    /// A central stage (ReqMgr, the global work queue): on a central spool.
    case central
    /// An agent's stage (local queue, job stages, DBS upload, archivers): on an agent's spool.
    case agent
    /// A stage of all-in-one spools only (the Tier-0 feeder: the Tier-0 runs on one spool).
    case allInOneOnly

    /// True when a stage placed so runs on a spool of `role`.
    public func runs(on role: SpoolRole) -> Bool {
        switch (self, role) {
        case (_, .allInOne), (.central, .central), (.agent, .agent): return true
        default: return false
        }
    }

    /// Refuses (exit 64, nothing done) to run `stage` on a spool of another kind, naming the spool to use instead.
    public static func check(_ stage: StageCycle, spool: Spool) throws {
        let role = SpoolRoles.role(of: spool)
        guard !stage.placement.runs(on: role) else { return }
        let hint: String
        switch (stage.placement, role) {
        case (.central, .agent(_, let central)): hint = "run it on the central spool: --spool \(central)"
        case (.agent, .central): hint = "run it on an agent's spool (made by 'wmagent init --central \(spool.root) AGENTDIR --agent NAME')"
        default: hint = "it runs on an all-in-one spool only"
        }
        throw CommandFailure(.usage, "\(stage.name): \(spool.root) is \(role.description); \(hint)")
    }
}

/// Runs stage cycles: once (drain, the default) or forever (`--watch`), under the stage lock.
public enum StageRunner {
    /// Runs `stage` until its input is drained (once) or a stop is requested (watch). A dry run is one
    /// cycle that changes nothing: no lock file, no purge of temporary files, no health record.
    ///
    /// - Throws: `StageLock.Failure` when another instance holds the lock.
    public static func run(_ stage: StageCycle, context: StageContext) throws -> CycleReport {
        try StagePlacement.check(stage, spool: context.spool)
        if context.options.dryRun { return try stage.runCycle(context) }
        let lock = try StageLock(spool: context.spool, stage: stage.name)
        defer { lock.release() }
        _ = try? context.spool.purgeTemporaryFiles()
        var total = CycleReport()
        var lastProgress = progressBaseline(stage: stage.name, context: context)
        while !StopSignal.isRequested {
            let report = try stage.runCycle(context)
            total.add(report)
            if report.done > 0 || report.quarantined > 0 {
                lastProgress = context.now()
                FreedMemory.release()  // what the cycle's batches held goes back to the system
            }
            recordHealth(stage: stage.name, total: total, lastProgress: lastProgress, context: context)
            if report.done > 0 || report.quarantined > 0 { continue }
            if !context.options.watch { break }
            sleepInterruptibly(context.options.interval)
        }
        return total
    }

    /// When the stage last made progress, as a new run starts: the previous run's `lastProgress` when
    /// that run left a backlog (so a cron-driven stage that keeps finding the same stuck backlog stays
    /// stuck across runs instead of looking fresh on every start), otherwise now.
    public static func progressBaseline(stage: String, context: StageContext) -> Double {
        guard let previous = StageHealth.read(stage: stage, spool: context.spool), previous.backlog > 0 else { return context.now() }
        return min(previous.lastProgress, context.now())
    }

    /// Writes the stage's health record (best effort: health must never stop work).
    public static func recordHealth(stage: String, total: CycleReport, lastProgress: Double, context: StageContext) {
        StageHealth(stage: stage, pid: getpid(), lastCycle: context.now(), lastProgress: lastProgress,
                    itemsDone: total.done, backlog: total.backlog).record(in: context.spool)
    }

    private static func sleepInterruptibly(_ seconds: Double) {
        let end = WallClock.now() + seconds
        while !StopSignal.isRequested && WallClock.now() < end {
            usleep(useconds_t(min(0.2, max(0.0, end - WallClock.now())) * 1e6))
        }
    }
}

/// The `main` of every stage program: parse, open the spool, lock, run, map errors to exit codes.
public enum StageMain {
    /// Runs a stage program and exits.
    ///
    /// `arguments`/`positional` describe the positional arguments the program takes (none by default);
    /// `dryRun` says whether the stage honours `--dry-run`; stages that don't refuse it with 64.
    public static func run(program: String, summary: String, example: String, extras: [CommandOption] = [],
                           arguments: String = "", positional: ClosedRange<Int> = 0...0, dryRun: CommandSpec.DryRun = .refused,
                           makeStage: (StageOptions) throws -> StageCycle) -> Never {
        ProgramMain.run(program) {
            let spec = StageOptions.spec(program: program, summary: summary, example: example, extras: extras,
                                         arguments: arguments, positional: positional, dryRun: dryRun)
            let options = try StageOptions.parse(Array(CommandLine.arguments.dropFirst()), spec: spec)
            let log = Logger(component: program, format: options.logFormat, verbose: options.verbose)
            let spool = try ProgramInputs.existingSpool(options.spoolPath, program: program)
            let stage = try makeStage(options)
            StopSignal.install { sig in log.info("stop requested; finishing the item in hand", ["signal": String(sig)]) }
            let context = StageContext(spool: spool, options: options, log: log)
            let total = try StageRunner.run(stage, context: context)
            log.info("done", ["items": String(total.done), "backlog": String(total.backlog), "quarantined": String(total.quarantined)])
        }
    }
}
