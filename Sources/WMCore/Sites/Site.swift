import Foundation

/// A site's state in ResourceControl (WMBS `wmbs_location_state`): Normal, Draining, Down, Aborted.
public enum SiteState: String, Codable, Sendable, CaseIterable {
    /// Takes new jobs.
    case normal = "Normal"
    /// Takes only IO jobs (Merge, Cleanup, LogCollect, Harvesting); others wait.
    case draining = "Draining"
    /// Takes no jobs.
    case down = "Down"
    /// Takes no jobs; jobs bound to it alone are killed.
    case aborted = "Aborted"

    /// Parses a state name case-insensitively (`normal`, `Draining`, ...).
    public init(parsing text: String) throws {
        guard let state = SiteState.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw SiteConfigurationError.badValue(file: "command line", field: "state", found: text,
                                                  expected: SiteState.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = state
    }
}

/// Pending and running slot limits (overall for a site, or for one task type at it).
public struct SlotLimits: Codable, Sendable, Hashable {
    /// How many jobs may wait in the batch system.
    public var pendingSlots: Int
    /// How many jobs may run.
    public var runningSlots: Int

    /// Makes limits.
    public init(pendingSlots: Int, runningSlots: Int) {
        self.pendingSlots = pendingSlots
        self.runningSlots = runningSlots
    }
}

/// Which batch plugin runs a site's jobs, with its settings.
public struct ComputeSettings: Codable, Sendable, Hashable {
    /// `local` (detached processes on this machine) or `slurm`.
    public var plugin: String
    /// local: how many payloads may run at once.
    public var slots: Int?
    /// slurm: the partition (`-p`); nil uses the cluster's default.
    public var partition: String?
    /// slurm: extra `sbatch` arguments, passed as separate words (never through a shell).
    public var sbatchArguments: [String]?
    /// local: `process` (the default: each job runs its wrapper in a process) or `null` (no process: each
    /// job finishes at once with exit code 0 and a minimal success report; for benchmarks of the agent).
    public var payload: String?
    /// sim: the seconds a job runs on the simulated clock (0...`maxSimulatedSeconds`; absent: 0, it ends at its first poll).
    public var runSeconds: Double?
    /// sim: the probability (0...1) that an attempt fails with a CMSSW error (absent: 0).
    public var failureRate: Double?
    /// sim: how much faster the simulated clock runs than the wall clock (`minTimeScale`...`maxTimeScale`; absent: 1),
    /// so a job ends `runSeconds / timeScale` wall seconds after its submission.
    public var timeScale: Double?
    /// sim: the seed of the failure decisions (0...`maxSeed`; absent: 0): the same seed fails the same attempts.
    public var seed: Int?

    /// Makes settings.
    public init(plugin: String, slots: Int? = nil, partition: String? = nil, sbatchArguments: [String]? = nil,
                payload: String? = nil, runSeconds: Double? = nil, failureRate: Double? = nil, timeScale: Double? = nil,
                seed: Int? = nil) {
        self.plugin = plugin
        self.slots = slots
        self.partition = partition
        self.sbatchArguments = sbatchArguments
        self.payload = payload
        self.runSeconds = runSeconds
        self.failureRate = failureRate
        self.timeScale = timeScale
        self.seed = seed
    }

    /// The plugin names this code knows: `local`, `slurm`, and `sim` (a simulated batch system: no process, jobs
    /// end on a compressed clock with real reports).
    public static let knownPlugins = ["local", "slurm", "sim"]
    /// The plugin that simulates a batch system.
    public static let simulatedPlugin = "sim"
    /// The longest simulated run (a year).
    public static let maxSimulatedSeconds: Double = 366 * 86_400
    /// The slowest simulated clock (a thousandth of the wall clock's speed).
    public static let minTimeScale: Double = 0.001
    /// The fastest simulated clock.
    public static let maxTimeScale: Double = 1_000_000_000
    /// The largest failure seed (integers a JSON number holds exactly).
    public static let maxSeed = 1 << 53

    /// The first problem of the `sim` settings, as (field, found, expected); nil when they are usable. Settings of the
    /// `sim` plugin given to another plugin are a problem too (they would silently do nothing).
    public func simulationProblem() -> (field: String, found: String, expected: String)? {
        let given: [(String, String?)] = [("runSeconds", runSeconds.map { "\($0)" }), ("failureRate", failureRate.map { "\($0)" }),
                                          ("timeScale", timeScale.map { "\($0)" }), ("seed", seed.map(String.init))]
        guard plugin == Self.simulatedPlugin else {
            return given.first { $0.1 != nil }.map { ($0.0, $0.1!, "absent: only the sim plugin takes \($0.0)") }
        }
        if let value = runSeconds, !(0...Self.maxSimulatedSeconds).contains(value) {
            return ("runSeconds", "\(value)", "simulated seconds from 0 to \(Int(Self.maxSimulatedSeconds))")
        }
        if let value = failureRate, !(0...1).contains(value) {
            return ("failureRate", "\(value)", "a probability from 0 to 1")
        }
        if let value = timeScale, !(Self.minTimeScale...Self.maxTimeScale).contains(value) {
            return ("timeScale", "\(value)", "a speed-up from \(Self.minTimeScale) to \(Int(Self.maxTimeScale))")
        }
        if let value = seed, !(0...Self.maxSeed).contains(value) {
            return ("seed", "\(value)", "an integer from 0 to \(Self.maxSeed)")
        }
        return nil
    }

    /// The payload modes of the local plugin.
    public static let knownPayloads = ["process", "null"]
    /// The payload mode that runs no process.
    public static let nullPayload = "null"
}

/// A computing site (PSN) with its thresholds, batch plugin and storage element.
public struct Site: Codable, Sendable, Hashable {
    /// CMS site name, e.g. `T2_CH_CERN`.
    public var name: String
    /// ResourceControl state.
    public var state: SiteState
    /// When the state last changed (seconds since the epoch); Draining for 2 days fails waiting jobs (71103).
    public var stateTime: Double
    /// Slot limits for the whole site.
    public var slots: SlotLimits
    /// Slot limits per task type (Processing, Merge, ...); a type not listed uses the site's limits.
    public var taskSlots: [String: SlotLimits]
    /// The batch plugin and its settings.
    public var compute: ComputeSettings
    /// The storage element (PNN), e.g. `T1_US_FNAL_Disk`.
    public var storageElement: String
    /// GPUs the site offers (`"gpus": N` in `sites.json`, 0...`Site.maxGPUs`); absent means 0. Only a site with at least one
    /// takes jobs whose `requiresGPU` is required.
    public var gpus: Int?
    /// The most GPUs a site may declare.
    public static let maxGPUs = 1_000_000
    /// The model of the site's GPUs (`"gpuName"` in `sites.json`, HTCondor's `GPUs_DeviceName`, e.g. "NVIDIA L40S"),
    /// which a job's `JobExtraMatchRequirements` may ask for; absent: not declared.
    public var gpuName: String?
    /// The memory of each of the site's GPUs in MB (`"gpuMemoryMB"`), matched against a job's `GPUMemoryMB`.
    public var gpuMemoryMB: Int?
    /// The CUDA compute capabilities of the site's GPUs (`"cudaCapabilities"`, e.g. ["8.9"]), one of which must be
    /// among a job's `CUDACapabilities`.
    public var cudaCapabilities: [String]?
    /// The CUDA runtime the site offers (`"cudaRuntime"`, e.g. "12.4"), at least a job's `CUDARuntime`.
    public var cudaRuntime: String?
    /// LFN → PFN rule: PFN = prefix + LFN. `{spool}` and `{pnn}` are replaced; default `{spool}/storage/{pnn}`.
    public var pfnPrefix: String?

    /// Makes a site.
    public init(name: String, state: SiteState = .normal, stateTime: Double = 0, slots: SlotLimits,
                taskSlots: [String: SlotLimits] = [:], compute: ComputeSettings, storageElement: String,
                pfnPrefix: String? = nil) {
        self.name = name
        self.state = state
        self.stateTime = stateTime
        self.slots = slots
        self.taskSlots = taskSlots
        self.compute = compute
        self.storageElement = storageElement
        self.pfnPrefix = pfnPrefix
    }

    /// True when the site declares at least one GPU.
    public var hasGPU: Bool { (gpus ?? 0) > 0 }

    /// The limits that apply to jobs of `taskType` here.
    public func limits(forTaskType taskType: String) -> SlotLimits {
        taskSlots[taskType] ?? slots
    }

    /// The physical file name of `lfn` at this site's storage element.
    public func pfn(forLFN lfn: String, spoolRoot: String) -> String {
        let prefix = (pfnPrefix ?? "{spool}/storage/{pnn}")
            .replacingAll("{spool}", with: spoolRoot)
            .replacingAll("{pnn}", with: storageElement)
        return prefix + lfn
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation needed).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
