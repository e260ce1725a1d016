import Agent
import BatchSystems
import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmagent bench --steady`: an agent holding N executing jobs on the `sim` batch system while it submits, tracks,
/// accounts and archives, timing every cycle of every stage.
///
/// The spool has one site whose `sim` plugin runs each attempt for `runSeconds` wall seconds (time scale 1, never
/// failing), with room for N attempts, and the bench's workflow (one FileBased subscription, one file per job) over enough input
/// files that N attempts stay executing for the whole run. Its task is a Cleanup (deleting its input file, which is
/// not there): the one task type whose step needs no output module and no input file to read, so the jobs cost the
/// agent what any job does and the simulated payload almost nothing. The job creator makes every job and the
/// submitter fills the slots first (the fill, timed on its own); then the stages run one cycle each, in pipeline order,
/// round after round for `seconds` of wall time. Each cycle's wall and CPU time (`getrusage` of the process, which runs
/// the stages on one thread) is recorded, and the executing jobs are counted after each round's submitter cycle.
public struct SteadyStateBenchmark {
    /// What to run.
    public struct Settings: Sendable {
        /// Attempts held executing (the site's running slots).
        public var running: Int = 100_000
        /// Wall seconds of the measured run.
        public var seconds: Double = 60
        /// Wall seconds each simulated attempt runs. The fill submits every attempt within its own time, so they end in
        /// waves: longer than the fill, the run measures the stages holding N executing jobs (and a wave ending, if
        /// shorter than the fill plus `seconds`); much shorter, it measures one wave after another.
        public var runSeconds: Double = 60
        /// Documents per group commit (the stages' `--batch`).
        public var batchSize: Int = 500
        /// The spool folder; made fresh, removed afterwards unless `keep`.
        public var directory: String = NSTemporaryDirectory() + "wmagent-steady-\(getpid())"
        /// Keep the spool after the run (for inspection).
        public var keep = false

        /// The defaults.
        public init() {}

        /// Input files (one job each) the run needs: the N that fill the slots, the N per `runSeconds` that finish
        /// during the run at full speed, and a quarter of N to spare, so the submitter never runs dry.
        public var files: Int {
            let turnovers = (seconds / runSeconds).rounded(.up)
            return running + Int(Double(running) * turnovers) + max(1, running / 4)
        }
    }

    /// One stage's cycles during the measured run.
    public struct StageFigures: Codable, Sendable, Equatable {
        /// The stage's name.
        public var stage: String
        /// Cycles it ran.
        public var cycles: Int
        /// Mean wall seconds of a cycle.
        public var meanCycleSeconds: Double
        /// Longest cycle, wall seconds.
        public var maxCycleSeconds: Double
        /// Mean CPU seconds (user + system) of a cycle.
        public var cpuSecondsPerCycle: Double
        /// Most CPU seconds one cycle took.
        public var maxCPUSecondsPerCycle: Double
        /// Documents it moved on over the run.
        public var jobs: Int
    }

    /// Counts of executing jobs, sampled once a round.
    public struct Samples: Codable, Sendable, Equatable {
        /// Samples taken.
        public var count: Int
        /// Smallest count.
        public var min: Int
        /// Mean count.
        public var mean: Double
        /// Largest count.
        public var max: Int
    }

    /// The figures of a run.
    public struct Result: Codable, Sendable {
        /// Attempts the run meant to hold executing.
        public var running: Int
        /// Wall seconds each attempt ran.
        public var runSeconds: Double
        /// Wall seconds of the measured run.
        public var seconds: Double
        /// Documents per group commit.
        public var batchSize: Int
        /// Input files (jobs) made for the run.
        public var files: Int
        /// Seconds spent making the workflow and its input files.
        public var setupSeconds: Double
        /// Seconds the job creator and submitter took to make every job and fill the slots.
        public var fillSeconds: Double
        /// Rounds of all the stages in the measured run.
        public var rounds: Int
        /// Executing jobs, counted after each round's submitter cycle.
        public var executing: Samples
        /// Jobs archived during the measured run.
        public var jobsDone: Int
        /// `jobsDone / seconds`.
        public var jobsPerSecond: Double
        /// Per stage, in pipeline order.
        public var stages: [StageFigures]
        /// Peak resident memory of the process, MB.
        public var peakMemoryMB: Double
    }

    /// The settings.
    public var settings: Settings

    /// The site the bench simulates.
    static let site = AgentBenchmark.site

    /// Makes a bench.
    public init(settings: Settings) {
        self.settings = settings
    }

    /// Builds the spool, fills the slots, runs the stages round after round for `settings.seconds` and returns the figures.
    public func run() throws -> Result {
        guard settings.running > 0, settings.batchSize > 0 else { throw AgentBenchmark.Failure.badSettings("--running and --batch must be at least 1") }
        guard settings.seconds > 0, settings.runSeconds > 0 else { throw AgentBenchmark.Failure.badSettings("--seconds and --run-seconds must be above 0") }
        if SystemCall.exists(settings.directory) { throw AgentBenchmark.Failure.badSettings("\(settings.directory) exists; the bench needs a fresh folder") }
        defer { if !settings.keep { try? FileManager.default.removeItem(atPath: settings.directory) } }
        let (spool, context) = try AgentBenchmark.benchSpool(at: settings.directory, batchSize: settings.batchSize)
        try configureSite(spool)

        let setupStart = SystemCall.now()
        try AgentBenchmark.injectWorkflow(spool, name: AgentBenchmark.workflow, files: settings.files, taskType: .cleanup)
        let setupSeconds = SystemCall.now() - setupStart

        let creator = JobCreatorStage(), submitter = JobSubmitterStage()
        let fillStart = SystemCall.now()
        _ = try AgentBenchmark.drain(creator, context: context)
        _ = try AgentBenchmark.drain(submitter, context: context)
        let fillSeconds = SystemCall.now() - fillStart

        let stages: [StageCycle] = [creator, submitter, JobTrackerStage(), AccountantStage(), ErrorHandlerStage(), JobArchiverStage()]
        var clocks = stages.map { CycleClock(stage: $0.name) }
        var executing: [Int] = []
        let start = SystemCall.now()
        var rounds = 0
        while SystemCall.now() - start < settings.seconds {
            var moved = 0
            for (index, stage) in stages.enumerated() {
                let report = try clocks[index].time { try stage.runCycle(context) }
                moved += report.done
                if stage.name == submitter.name { executing.append(try Self.executingJobs(spool)) }
            }
            rounds += 1
            // Nothing finished yet: wait a little rather than poll the batch system flat out.
            if moved == 0 { usleep(50_000) }
        }
        let seconds = SystemCall.now() - start
        let done = clocks.last?.jobs ?? 0
        return Result(running: settings.running, runSeconds: settings.runSeconds, seconds: seconds, batchSize: settings.batchSize,
                      files: settings.files, setupSeconds: setupSeconds, fillSeconds: fillSeconds, rounds: rounds,
                      executing: Self.samples(executing), jobsDone: done, jobsPerSecond: Double(done) / seconds,
                      stages: clocks.map(\.figures), peakMemoryMB: AgentBenchmark.peakMemoryMB())
    }

    /// One site whose `sim` plugin runs every attempt `runSeconds` and never fails, with room for `running` attempts:
    /// the submitter caps a site's pending + running attempts at `pendingSlots + runningSlots` and its pending ones
    /// (submitted, not yet seen running) at `pendingSlots`, so N pending slots and no more running ones let it fill all
    /// N in one cycle and hold N.
    func configureSite(_ spool: Spool) throws {
        let limits = SlotLimits(pendingSlots: settings.running, runningSlots: 0)
        let compute = ComputeSettings(plugin: ComputeSettings.simulatedPlugin, runSeconds: settings.runSeconds, failureRate: 0, timeScale: 1, seed: 1)
        let configuration = SiteConfiguration(sites: [Site(name: Self.site, slots: limits, compute: compute, storageElement: Self.site)])
        try configuration.validate(file: "bench sites")
        try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
    }

    /// Job documents in `jobs/executing/`.
    static func executingJobs(_ spool: Spool) throws -> Int {
        try spool.scan(Areas.jobs(spool).folder(.executing)).names.count
    }

    /// The smallest, mean and largest of `counts` (all 0 when there are none).
    static func samples(_ counts: [Int]) -> Samples {
        guard let low = counts.min(), let high = counts.max() else { return Samples(count: 0, min: 0, mean: 0, max: 0) }
        return Samples(count: counts.count, min: low, mean: Double(counts.reduce(0, +)) / Double(counts.count), max: high)
    }
}

/// The wall and CPU time of one stage's cycles.
struct CycleClock {
    let stage: String
    private(set) var cycles = 0, jobs = 0
    private var wall = 0.0, maxWall = 0.0, cpu = 0.0, maxCPU = 0.0

    init(stage: String) { self.stage = stage }

    /// Runs one cycle, adding its times and the documents it moved.
    mutating func time(_ cycle: () throws -> CycleReport) rethrows -> CycleReport {
        let wallStart = SystemCall.now(), cpuStart = AgentBenchmark.cpuSeconds()
        let report = try cycle()
        let cycleCPU = AgentBenchmark.cpuSeconds() - cpuStart, cycleWall = SystemCall.now() - wallStart
        cycles += 1
        jobs += report.done
        wall += cycleWall
        cpu += cycleCPU
        maxWall = max(maxWall, cycleWall)
        maxCPU = max(maxCPU, cycleCPU)
        return report
    }

    /// The figures so far.
    var figures: SteadyStateBenchmark.StageFigures {
        let n = Double(max(cycles, 1))
        return .init(stage: stage, cycles: cycles, meanCycleSeconds: wall / n, maxCycleSeconds: maxWall, cpuSecondsPerCycle: cpu / n,
                     maxCPUSecondsPerCycle: maxCPU, jobs: jobs)
    }
}
