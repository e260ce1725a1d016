import Agent
import BatchSystems
import Commands
import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmagent bench`: pushes N null-payload jobs through the agent's real stages — create → submit → track →
/// account → error handling → archive — on a fresh spool with durability on, timing each stage.
///
/// The spool has one site whose local plugin runs null payloads (no process: an exit code and a minimal
/// success report, written in group commits) and one workflow with one FileBased subscription (one file
/// per job) over N input files. Each stage runs until it has nothing left to do; the stages run one after
/// the other, so each one's time is its own. The machine's raw durable file rate (write + fsync + rename
/// of one small file) is measured in the same spool, so the job rate can be read against the disk.
public struct AgentBenchmark {
    /// What to run.
    public struct Settings: Sendable {
        /// Jobs to push through.
        public var jobs: Int = 100_000
        /// Documents per group commit (the stages' `--batch`).
        public var batchSize: Int = 500
        /// The spool folder; made fresh, removed afterwards unless `keep`.
        public var directory: String = NSTemporaryDirectory() + "wmagent-bench-\(getpid())"
        /// Keep the spool after the run (for inspection).
        public var keep = false
        /// Seconds spent measuring the raw durable file rate (at least 20 files are written).
        public var rawSeconds: Double = 2
        /// Run the stages at the same time, each on its own thread (as WMAgent's components run), instead of
        /// one after the other: the end-to-end rate of an agent whose stages overlap.
        public var pipelined = false
        /// Jobs pushed through first, untimed, on the same spool (another workflow): an agent in steady state,
        /// whose archived jobs left recycled inodes and directories (`.spare/`, `.spare-dirs/`) for new ones.
        public var warmUpJobs = 0

        /// The defaults.
        public init() {}
    }

    /// One stage's figures.
    public struct StageTiming: Codable, Sendable {
        /// The stage's name.
        public var stage: String
        /// Jobs it moved on (documents leaving its input state).
        public var jobs: Int
        /// Cycles it ran until it had nothing left to do.
        public var cycles: Int
        /// Wall seconds.
        public var seconds: Double
        /// Process CPU seconds (user + system).
        public var cpuSeconds: Double
        /// `jobs / seconds` (0 when it moved none).
        public var jobsPerSecond: Double
    }

    /// The figures of a run.
    public struct Result: Codable, Sendable {
        /// Jobs pushed through.
        public var jobs: Int
        /// Jobs that ended archived after success.
        public var archived: Int
        /// Documents per group commit.
        public var batchSize: Int
        /// The spool's durability (always `full`).
        public var durability: String
        /// Seconds from the first stage's start to the last stage's end.
        public var seconds: Double
        /// The headline: `jobs / seconds`.
        public var endToEndJobsPerSecond: Double
        /// Per stage, in pipeline order.
        public var stages: [StageTiming]
        /// Peak resident memory of the process, MB.
        public var peakMemoryMB: Double
        /// Small files made durable per second one at a time (write + fsync + rename), on the spool's disk.
        public var rawDurableFilesPerSecond: Double
        /// `endToEndJobsPerSecond / rawDurableFilesPerSecond`: jobs carried per raw durable file write.
        public var jobsPerRawDurableFile: Double
        /// Seconds spent building the spool (input files), not counted above.
        public var setupSeconds: Double
        /// Jobs pushed through untimed before the measured ones (0: a fresh spool).
        public var warmUpJobs: Int
        /// Whether the stages ran at the same time (then each stage's seconds overlap the others').
        public var pipelined: Bool
    }

    /// Why a run is not a valid measurement.
    public enum Failure: Error, CustomStringConvertible {
        /// Some jobs did not end archived after success: where they are instead.
        case jobsNotArchived(expected: Int, archived: Int, leftovers: [String: Int])
        /// The settings are unusable.
        case badSettings(String)

        public var description: String {
            switch self {
            case let .jobsNotArchived(expected, archived, leftovers):
                let where_ = leftovers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                return "bench: only \(archived) of \(expected) jobs were archived after success; left in \(where_)"
            case .badSettings(let why): return "bench: \(why)"
            }
        }
    }

    /// The settings.
    public var settings: Settings
    /// Called after each stage (for progress lines).
    public var onStage: (StageTiming) -> Void = { _ in }

    /// The workflow, subscription and site the bench uses.
    static let workflow = "BenchWF", warmUpWorkflow = "BenchWarmUp", subscription = "Proc", site = "T2_CH_CERN"

    /// Makes a bench.
    public init(settings: Settings) {
        self.settings = settings
    }

    /// A new spool made by `wmagent init` at `directory` (durable, as an agent runs) and a silent stage context on it
    /// taking `batchSize` documents per batch: the start of every bench.
    static func benchSpool(at directory: String, batchSize: Int) throws -> (Spool, StageContext) {
        try AgentSpool.initialize(at: directory)
        let spool = try Spool(root: directory, durability: .full)
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        options.batchSize = batchSize
        return (spool, StageContext(spool: spool, options: options, log: Logger(component: "bench", sink: { _ in })))
    }

    /// Builds the spool, runs the stages, checks every job was archived and returns the figures.
    public func run() throws -> Result {
        guard settings.jobs > 0, settings.batchSize > 0 else { throw Failure.badSettings("--jobs and --batch must be at least 1") }
        if SystemCall.exists(settings.directory) { throw Failure.badSettings("\(settings.directory) exists; the bench needs a fresh folder") }
        defer { if !settings.keep { try? FileManager.default.removeItem(atPath: settings.directory) } }
        let (spool, context) = try Self.benchSpool(at: settings.directory, batchSize: settings.batchSize)
        // Each run of the stages gets new stage objects: one after the other, a stage is let go after its drain, as a
        // cron-run program ends (what its caches held is not the next stage's memory); together, they live as long as
        // the run, as in `wmagent run`.
        let makeStages: [() -> StageCycle] = [{ JobCreatorStage() }, { JobSubmitterStage() }, { JobTrackerStage() }, { AccountantStage() },
                                              { ErrorHandlerStage() }, { JobArchiverStage() }]
        try Self.configureSite(spool, slots: max(settings.jobs, settings.warmUpJobs))
        if settings.warmUpJobs > 0 {
            try Self.injectWorkflow(spool, name: Self.warmUpWorkflow, files: settings.warmUpJobs)
            for make in makeStages { _ = try Self.drain(make(), context: context) }
            // What the warm-up recycled may be written again once it has ripened.
            usleep(UInt32(SpareFiles.defaultRipeningDelay * 1_000_000) + 200_000)
        }
        let archivedBefore = try Self.archivedJobs(spool)
        let setupStart = SystemCall.now()
        try Self.injectWorkflow(spool, name: Self.workflow, files: settings.jobs)
        let setupSeconds = SystemCall.now() - setupStart
        let raw = try DurableFileRate.measure(in: spool, seconds: settings.rawSeconds)

        var timings: [StageTiming] = []
        let start = SystemCall.now()
        if settings.pipelined {
            timings = try Self.drainTogether(makeStages.map { $0() }, context: context)
            timings.forEach(onStage)
        } else {
            for make in makeStages {
                let timing = try Self.drain(make(), context: context)
                FreedMemory.release()
                timings.append(timing)
                onStage(timing)
            }
        }
        let seconds = SystemCall.now() - start
        let archived = try Self.archivedJobs(spool) - archivedBefore
        guard archived == settings.jobs else {
            throw Failure.jobsNotArchived(expected: settings.jobs, archived: archived, leftovers: try Self.leftovers(spool))
        }
        let rate = Double(settings.jobs) / seconds
        return Result(jobs: settings.jobs, archived: archived, batchSize: settings.batchSize, durability: spool.durability.rawValue,
                      seconds: seconds, endToEndJobsPerSecond: rate, stages: timings, peakMemoryMB: Self.peakMemoryMB(),
                      rawDurableFilesPerSecond: raw, jobsPerRawDurableFile: raw > 0 ? rate / raw : 0, setupSeconds: setupSeconds,
                      warmUpJobs: settings.warmUpJobs, pipelined: settings.pipelined)
    }

    /// Runs a stage's cycles until one moves nothing.
    static func drain(_ stage: StageCycle, context: StageContext) throws -> StageTiming {
        let start = SystemCall.now(), cpuStart = cpuSeconds()
        var moved = 0, cycles = 0
        while true {
            let report = try stage.runCycle(context)
            if report.done > 0 || report.quarantined > 0 { FreedMemory.release() }
            cycles += 1
            moved += report.done
            if report.done == 0 && report.quarantined == 0 { break }
        }
        let seconds = SystemCall.now() - start
        return StageTiming(stage: stage.name, jobs: moved, cycles: cycles, seconds: seconds, cpuSeconds: cpuSeconds() - cpuStart,
                           jobsPerSecond: moved > 0 ? Double(moved) / seconds : 0)
    }

    /// Runs every stage on its own thread until the stages before it have finished and a cycle of its own
    /// then moves nothing; while the stages before it run, a stage that found less than a quarter of a batch
    /// waits 10–20 ms before its next cycle. Each stage's CPU time is its thread's.
    static func drainTogether(_ stages: [StageCycle], context: StageContext) throws -> [StageTiming] {
        let batchSize = context.options.batchSize
        let shared = PipelineProgress(count: stages.count)
        let start = SystemCall.now()
        let threads = stages.enumerated().map { index, stage in
            let box = UncheckedStage(stage: stage)
            return Thread {
                let cpuStart = threadCPUSeconds()
                var moved = 0, cycles = 0
                do {
                    while !shared.failed {
                        let upstreamDone = shared.allFinished(before: index)
                        let report = try box.stage.runCycle(context)
                        if report.done > 0 || report.quarantined > 0 { FreedMemory.release() }
                        cycles += 1
                        moved += report.done
                        if report.done == 0 && report.quarantined == 0 && upstreamDone { break }
                        // While the stages before it still feed it, a stage that found little to do lets its input
                        // gather: a group commit costs about the same for 5 documents as for 500.
                        if !upstreamDone && report.done < batchSize / 4 { usleep(report.done == 0 ? 20_000 : 10_000) }
                    }
                } catch {
                    shared.fail(error)
                }
                let seconds = SystemCall.now() - start
                shared.finish(index, StageTiming(stage: box.stage.name, jobs: moved, cycles: cycles, seconds: seconds,
                                                 cpuSeconds: threadCPUSeconds() - cpuStart,
                                                 jobsPerSecond: moved > 0 ? Double(moved) / seconds : 0))
            }
        }
        threads.forEach { $0.start() }
        return try shared.waitForAll()
    }

    /// CPU seconds (user + system) of the calling thread.
    static func threadCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (not imported by Glibc)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// One site, `slots` wide everywhere, whose local plugin runs null payloads.
    static func configureSite(_ spool: Spool, slots: Int) throws {
        let limits = SlotLimits(pendingSlots: slots, runningSlots: slots)
        let configuration = SiteConfiguration(sites: [
            Site(name: site, slots: limits, compute: ComputeSettings(plugin: "local", slots: slots, payload: ComputeSettings.nullPayload),
                 storageElement: site),
        ])
        try configuration.validate(file: "bench sites")
        try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
    }

    /// The workflow: one FileBased subscription (one file per job, no output module) of `taskType` over `files` input
    /// files at the site's storage element, injected and with its input fileset closed.
    static func injectWorkflow(_ spool: Spool, name workflow: String, files: Int, taskType: TaskType = .processing) throws {
        let store = WMBSStore(spool: spool)
        let input = workflow + "-Input"
        let sub = Subscription(name: subscription, workflow: workflow, task: "/\(workflow)/\(subscription)", taskType: taskType.rawValue,
                               inputFileset: input, algorithm: "FileBased", parameters: ["files_per_job": .int(1)])
        try spool.inBatch { try store.create(workflow: workflow, subscriptions: [sub], filesets: [Fileset(name: input, open: false, consumers: [subscription])], in: $0) }
        // As the local work queue injects an element's files: one bundle per batch of files.
        var start = 0
        while start < files {
            let chunk = (start..<min(files, start + 5000)).map { n in
                SplitFile(lfn: "/store/data/\(workflow)/RAW/v1/000/\(n).root", size: 1 << 20, events: 100, locations: [site],
                          runs: [FileRun(run: 1, lumis: [n + 1])])
            }
            try spool.inBatch { try store.add(chunk, toFileset: input, workflow: workflow, in: $0, new: Set(chunk.map(\.lfn))) }
            start += chunk.count
        }
        try store.markInjected(workflow)
    }

    /// Job documents archived by the job archiver (`archive/jobs/<Y>/<M>/<D>/`).
    static func archivedJobs(_ spool: Spool) throws -> Int {
        var count = 0
        try walkFiles(spool.path(Layout.archivedJobsRoot)) { name in if name.hasSuffix(".json") { count += 1 } }
        return count
    }

    /// Job documents left in each job state folder.
    static func leftovers(_ spool: Spool) throws -> [String: Int] {
        let jobs = Areas.jobs(spool)
        var left: [String: Int] = [:]
        for state in JobState.allCases {
            let count = try spool.scan(jobs.folder(state)).names.count
            if count > 0 { left[Layout.jobs(state)] = count }
        }
        let corrupt = try spool.scan(Layout.jobsCorrupt).names.count
        if corrupt > 0 { left[Layout.jobsCorrupt] = corrupt }
        return left
    }

    private static func walkFiles(_ directory: String, _ visit: (String) -> Void) throws {
        guard SystemCall.isDirectory(directory) else { return }
        try SystemCall.forEachEntry(in: directory) { name, kind in
            if kind == .directory { try walkFiles(directory + "/" + name, visit) } else { visit(name) }
            return true
        }
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Peak resident memory of this process, MB (`ru_maxrss` is in KB on Linux).
    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// A stage handed to its own thread (each stage is used by that thread alone).
private struct UncheckedStage: @unchecked Sendable {
    let stage: StageCycle
}

/// What the threads of a pipelined run share: which stages have finished, their timings, the first error.
private final class PipelineProgress: @unchecked Sendable {
    private let condition = NSCondition()
    private var timings: [AgentBenchmark.StageTiming?]
    private var error: (any Error)?

    init(count: Int) { timings = Array(repeating: nil, count: count) }

    var failed: Bool { condition.withLock { error != nil } }

    func allFinished(before index: Int) -> Bool {
        condition.withLock { timings[..<index].allSatisfy { $0 != nil } }
    }

    func fail(_ error: any Error) {
        condition.withLock { if self.error == nil { self.error = error } }
    }

    func finish(_ index: Int, _ timing: AgentBenchmark.StageTiming) {
        condition.withLock {
            timings[index] = timing
            condition.broadcast()
        }
    }

    func waitForAll() throws -> [AgentBenchmark.StageTiming] {
        condition.lock()
        defer { condition.unlock() }
        while timings.contains(where: { $0 == nil }) { condition.wait() }
        if let error { throw error }
        return timings.compactMap { $0 }
    }
}
