import Foundation
import SpoolKit
import SpoolLayout
import WMCore
import WorkerRuntime

/// What the `sim` batch system decides, as pure functions of a site's `compute` settings: when an attempt ends and
/// whether it fails.
public struct SimulatedRuns: Sendable, Equatable {
    /// Seconds an attempt runs on the simulated clock.
    public var runSeconds: Double
    /// The probability that an attempt fails (0...1).
    public var failureRate: Double
    /// How much faster the simulated clock runs than the wall clock.
    public var timeScale: Double
    /// The seed of the failure decisions.
    public var seed: UInt64

    /// The decisions of validated settings (`ComputeSettings.simulationProblem()` is nil); absent settings take
    /// their defaults (0 s, never fails, the wall clock's speed, seed 0).
    public init(_ compute: ComputeSettings) {
        self.init(runSeconds: compute.runSeconds ?? 0, failureRate: compute.failureRate ?? 0, timeScale: compute.timeScale ?? 1,
                  seed: UInt64(clamping: compute.seed ?? 0))
    }

    /// Makes decisions from values already in range (a `timeScale` that is not positive counts as 1).
    public init(runSeconds: Double, failureRate: Double, timeScale: Double, seed: UInt64) {
        self.runSeconds = runSeconds
        self.failureRate = failureRate
        self.timeScale = timeScale > 0 ? timeScale : 1
        self.seed = seed
    }

    /// Wall seconds an attempt runs: `runSeconds / timeScale`.
    public var wallSeconds: Double { runSeconds / timeScale }

    /// True when an attempt submitted at `submitted` has ended by `now` (both seconds since the epoch).
    public func hasEnded(submitted: Double, now: Double) -> Bool { now - submitted >= wallSeconds }

    /// True when attempt `retry` of `job` fails: its draw is below `failureRate` (so 0 never fails and 1 always does).
    public func fails(job: String, retry: Int) -> Bool { Self.draw(seed: seed, job: job, retry: retry) < failureRate }

    /// A number in [0, 1) fixed by (seed, job, retry): FNV-1a of the job's name, mixed with the seed and the retry
    /// by SplitMix64's finaliser; the top 53 bits make the fraction.
    public static func draw(seed: UInt64, job: String, retry: Int) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in job.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let mixed = mix(mix(hash ^ seed) ^ UInt64(truncatingIfNeeded: retry))
        return Double(mixed >> 11) / Double(UInt64(1) << 53)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The CMSSW error a failed attempt reports: 8021, FileReadError (an input read failed), which the error
    /// handler retries.
    public static let failureCode = RuntimeExitCodes.fileReadError
}

/// The `sim` batch system: no process per job. Submitting records the attempt as running; a poll after
/// `SimulatedRuns.wallSeconds` ends it by running the job wrapper in this process (`JobWrapper.StepLauncher.simulated`:
/// the step's real outputs, staged to storage, its log archive and `Report.<retry>.xml`, as `wm-runjob` leaves them), or
/// for an attempt `SimulatedRuns.fails` picks, the same wrapper with a step that fails with 8021 (FileReadError).
///
/// Records live in `<spool>/batch/sim/<site>/` (`Layout.simulatedBatch`): an attempt is a file named by its
/// idempotency key (also its batch id) holding its work directory on its first line, then `time=<submission time>`;
/// its folder is its state, `running/` → `finished/`, and a finished entry adds `exit=<exit code>` or, killed,
/// `killed=<time>`. Memory and the cost of a poll grow with the polled ids only: each is one or two small reads.
/// The work of ending an attempt (generating its events, staging them out) is done by the poll that ends it.
public final class SimulatedBatchPlugin: BatchPlugin {
    /// The spool holding the records.
    public let spool: Spool
    /// The site this instance simulates.
    public let site: String
    /// The decisions.
    public let runs: SimulatedRuns
    /// Spool-relative folder of the records.
    public let registry: String
    /// The clock (seconds since the epoch); tests set their own.
    public var now: () -> Double = SystemCall.now

    /// Opens (creating if needed) the records of `site`.
    public init(spool: Spool, site: String, runs: SimulatedRuns) throws {
        self.spool = spool
        self.site = site
        self.runs = runs
        registry = Layout.simulatedBatch(site: site)
        try spool.ensureDirectories([registry + "/" + Folder.running.rawValue, registry + "/" + Folder.finished.rawValue])
    }

    private enum Folder: String, CaseIterable { case running, finished }
    private func folder(_ f: Folder) -> String { registry + "/" + f.rawValue }

    /// An attempt's record: its work directory, then `name=value` lines.
    private typealias Entry = RegistryEntry

    private func entry(_ key: String, in f: Folder) -> (bytes: [UInt8], entry: Entry)? {
        guard Spool.isSafeName(key), let bytes = (try? spool.read(key, in: folder(f))).flatMap({ $0 }) else { return nil }
        return (bytes, Entry(bytes))
    }

    // MARK: BatchPlugin

    public func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        RegistryLock.withLock(spool: spool, registry: registry) {
            RegistrySubmission.register(submissions, spool: spool, command: "sim submit", stage: { try register($0, in: $1) },
                                        isRegistered: { locate($0) != nil })
        }
    }

    public func status(_ ids: [String]) throws -> [String: BatchStatus] {
        try RegistryLock.withLock(spool: spool, registry: registry) {
            let batch = SpoolBatch(spool: spool)
            var result: [String: BatchStatus] = [:]
            for id in ids {
                if let ended = entry(id, in: .finished) {
                    result[id] = finishedStatus(ended.entry)
                } else if let running = entry(id, in: .running) {
                    result[id] = try poll(id, running.bytes, running.entry, batch: batch)
                } else {
                    result[id] = .unknown
                }
            }
            try batch.commit()
            return result
        }
    }

    public func kill(_ ids: [String]) throws {
        try RegistryLock.withLock(spool: spool, registry: registry) {
            let batch = SpoolBatch(spool: spool)
            for id in ids {
                guard let running = entry(id, in: .running) else { continue }
                _ = try batch.moveReplacingContent(id, from: folder(.running), to: folder(.finished),
                                                   with: running.bytes + Array("killed=\(now())\n".utf8))
            }
            try batch.commit()
        }
    }

    public func findSubmissions(_ keys: [String]) throws -> [String: String] {
        var found: [String: String] = [:]
        for key in keys where Spool.isSafeName(key) && locate(key) != nil { found[key] = key }
        return found
    }

    // MARK: Records

    private func locate(_ key: String) -> Folder? {
        Folder.allCases.first { SystemCall.exists(spool.path(folder($0)) + "/" + key) }
    }

    /// Stages the attempt's `running/` entry in `batch` (an attempt already recorded is left as it is).
    private func register(_ submission: BatchSubmission, in batch: SpoolBatch) throws {
        guard Spool.isSafeName(submission.key) else {
            throw BatchPluginError.invalidSubmission(key: submission.key, field: "key", expected: "a safe file name (letters, digits, . _ - + = @ ,)")
        }
        guard AttemptKey(parsing: submission.key) != nil else {
            throw BatchPluginError.invalidSubmission(key: submission.key, field: "key", expected: "<job>-<retry> with a numeric retry count")
        }
        if locate(submission.key) != nil { return }
        // The same refusals as a real batch system's, though no script is written.
        try JobScript.validate(submission)
        try SystemCall.makeDirectories(submission.workDirectory)
        try batch.publish(Array("\(submission.workDirectory)\ntime=\(now())\n".utf8), as: submission.key, in: folder(.running))
    }

    /// The status of a running attempt; one whose time is up is ended here: its report written, its entry moved to
    /// `finished/` with its exit code (staged in `batch`).
    private func poll(_ key: String, _ bytes: [UInt8], _ running: Entry, batch: SpoolBatch) throws -> BatchStatus {
        guard let submitted = running.fields["time"].flatMap({ Double($0) }), submitted.isFinite else {
            return .failed(reason: "sim record \(spool.path(folder(.running)))/\(key): no submission time (time=<seconds>)", removed: false)
        }
        guard runs.hasEnded(submitted: submitted, now: now()) else { return .running }
        let exitCode = try end(key, workDirectory: running.workDirectory)
        _ = try batch.moveReplacingContent(key, from: folder(.running), to: folder(.finished),
                                           with: bytes + Array("exit=\(exitCode)\n".utf8))
        return .complete(exitCode: exitCode)
    }

    /// Runs the attempt's job wrapper in this process, its step computed or failed as `runs` decides; returns its exit
    /// status as a process would (codes above 255 reduced, never 0 for a failure).
    private func end(_ key: String, workDirectory: String) throws -> Int32 {
        guard let attempt = AttemptKey(parsing: key) else {
            throw BatchPluginError.invalidSubmission(key: key, field: "key", expected: "<job>-<retry> with a numeric retry count")
        }
        let failure = runs.fails(job: attempt.job, retry: attempt.retry)
            ? StepFailure(code: SimulatedRuns.failureCode, type: "FileReadError",
                          details: "sim batch system at \(site): attempt \(attempt.retry) of \(attempt.job) fails"
                              + " (failure rate \(runs.failureRate), seed \(runs.seed))")
            : nil
        let steps = JobWrapper.StepLauncher.simulated(seconds: runs.runSeconds, failure: failure)
        let outcome = JobWrapper(jobPath: workDirectory + "/job.json", steps: steps).run()
        return RuntimeExitCodes.processStatus(for: outcome.exitCode)
    }

    private func finishedStatus(_ entry: Entry) -> BatchStatus {
        if let recorded = entry.fields["exit"], let code = Int32(recorded) { return .complete(exitCode: code) }
        if entry.fields["killed"] != nil { return .failed(reason: "killed by the agent", removed: true) }
        return .failed(reason: "sim record of \(entry.workDirectory) ended without an exit code", removed: false)
    }
}
