/// WMCore task types: the type of a workload task, stored as its name (`Merge`, `LogCollect`, ...) in
/// subscriptions and job documents. The rules that depend on a task's type are facts here, in one place.
public enum TaskType: String, Codable, CaseIterable, Sendable {
    case production = "Production"
    case processing = "Processing"
    case merge = "Merge"
    case cleanup = "Cleanup"
    case logCollect = "LogCollect"
    case harvesting = "Harvesting"
    /// Skimming (a processing task over a processed dataset).
    case skim = "Skim"
    /// Tier-0 express processing.
    case express = "Express"
    /// Tier-0 repacking of streamer files into primary datasets.
    case repack = "Repack"

    /// WMBS task-type priority (CreateWMBSBase): jobs are submitted by `this × 10^7 + request priority`.
    public var submitPriority: Int {
        switch self {
        case .processing, .production, .express, .repack: return 0
        case .cleanup: return 1
        case .logCollect: return 2
        case .skim: return 3
        case .merge: return 4
        case .harvesting: return 5
        }
    }

    /// IO-bound task types, which may still run at Draining sites (WMCore's JobSubmitter list).
    public var isIO: Bool {
        switch self {
        case .merge, .cleanup, .harvesting, .logCollect: return true
        case .production, .processing, .skim, .express, .repack: return false
        }
    }

    /// Whether a job's unfinished work (exhausted retries, skipped or vanished inputs) is kept in an ACDC
    /// record for a recovery request. Not for LogCollect and Cleanup, as in WMCore: nobody recovers them.
    public var keepsFailedWorkInACDC: Bool {
        switch self {
        case .logCollect, .cleanup: return false
        case .production, .processing, .merge, .harvesting, .skim, .express, .repack: return true
        }
    }

    /// Whether a successful job's report must name exactly the output modules the job was given. LogCollect
    /// and Cleanup write no dataset outputs; Harvesting's DQM summary goes to the DQM GUI in CMS (an
    /// AnalysisFile, not a WMBS output).
    public var reportsItsOutputModules: Bool {
        switch self {
        case .logCollect, .cleanup, .harvesting: return false
        case .production, .processing, .merge, .skim, .express, .repack: return true
        }
    }
}

/// Where a task's input comes from.
public enum TaskInput: Codable, Hashable, Sendable {
    /// Monte Carlo generation: `events` events (RequestNumEvents / FilterEfficiency) from `firstEvent`, lumis from `firstLumi`.
    case generator(primaryDataset: String, events: Int, firstEvent: Int, firstLumi: Int)
    /// A catalog dataset, restricted by the request's block/run lists and lumi mask.
    case dataset(name: String, selection: InputSelection)
    /// Another task's output module (`logArchive` for LogCollect tasks).
    case taskOutput(taskPath: String, module: String)
    /// An ACDC collection: what a task of the original request failed to do.
    case acdc(collection: String, taskPath: String)
    /// The Tier-0's open fileset of one run's stream (`Run<run>_Stream<stream>`), fed by the feeder with the
    /// streamers of closed lumis; not split by the work queue.
    case tier0Streamers(run: Int, stream: String)
    /// A catalog dataset's files of one run (`selection`: that run), fed by the Tier-0 feeder as they are published
    /// (PromptReco reads the RAW its repack merges made); not split by the work queue.
    case tier0Dataset(name: String, selection: InputSelection)

    /// True for inputs the work queue splits (generator, dataset, ACDC); false for tasks fed by other tasks.
    public var isTopLevel: Bool {
        if case .taskOutput = self { return false }
        return true
    }
}

/// A splitting algorithm and its parameters (WMCore names, e.g. `events_per_job`).
public struct SplittingSpec: Codable, Hashable, Sendable {
    /// Algorithm name, e.g. `EventBased`, `LumiBased`, `ParentlessMergeBySize`.
    public var algorithm: String
    /// Parameters by WMCore name.
    public var parameters: [String: JSONValue]

    /// Makes a spec.
    public init(algorithm: String, parameters: [String: JSONValue] = [:]) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    /// An integer parameter.
    public func int(_ key: String) -> Int? { parameters[key]?.intValue }
}

/// One output module of a task.
public struct TaskOutput: Codable, Hashable, Sendable {
    /// Output module label (`Merged` for merge tasks).
    public var module: String
    /// Data tier.
    public var tier: String
    /// Filter name ("" for none).
    public var filterName: String
    /// Dataset path `/<PD>/<Era>-[<Filter>-][<ProcStr>-]v<N>/<TIER>`.
    public var dataset: String
    /// Unmerged LFN directory `<unmergedBase>/<Era>/<PD>/<TIER>/[<Filter>-]<ProcStr>-v<N>`.
    public var unmergedLFNBase: String
    /// Merged LFN directory, same layout under the merged base.
    public var mergedLFNBase: String
    /// True when the output is kept (merged, published); false for `KeepOutput: false`.
    public var kept: Bool
    /// True for transient modules: never staged out, merged or cleaned.
    public var transient: Bool
    /// The StepChain step that writes it (nil outside StepChain).
    public var step: String?
    /// Tier-0 Repack and Express: the trigger mask selecting the events this output keeps (bit k = the HLT menu's
    /// k-th path; an event is kept when it fired any of them; 0 keeps every event). Nil elsewhere.
    public var filterMask: UInt64?

    /// Whether jobs stage the output out (and WMBS gets a fileset for it). False only for a StepChain step's output
    /// with `KeepOutput: false`: the next step reads it in the job's scratch folder, and it never leaves the job. A
    /// TaskChain's transient module is still staged out, since its child task reads it from unmerged storage.
    public var isStagedOut: Bool { step == nil || kept }

    /// Makes an output.
    public init(module: String, tier: String, filterName: String, dataset: String, unmergedLFNBase: String,
                mergedLFNBase: String, kept: Bool, transient: Bool, step: String? = nil) {
        self.module = module
        self.tier = tier
        self.filterName = filterName
        self.dataset = dataset
        self.unmergedLFNBase = unmergedLFNBase
        self.mergedLFNBase = mergedLFNBase
        self.kept = kept
        self.transient = transient
        self.step = step
    }
}

/// The pileup a task's jobs mix in: ReqMgr2's `MCPileup`/`DataPileup` datasets (WMCore's pileup configuration), and
/// whether their location is ignored (`TrustPUSitelists`: every file is read remotely, as WMCore's AAA pileup).
public struct PileupSettings: Codable, Hashable, Sendable {
    /// The pileup dataset paths, sorted, no duplicates.
    public var datasets: [String]
    /// `TrustPUSitelists`: give jobs every pileup file, wherever it is stored.
    public var trustLocation: Bool

    /// Makes settings; nil when `datasets` is empty.
    public init?(datasets: [String], trustLocation: Bool) {
        let unique = Array(Set(datasets)).sorted()
        if unique.isEmpty { return nil }
        self.datasets = unique
        self.trustLocation = trustLocation
    }

    /// The pileup of a task (or of each StepChain step) named in `items`, each inheriting from `request`;
    /// `TrustPUSitelists` when the assignment or the request sets it.
    public static func of(_ items: [RequestArguments], request: RequestArguments, assignment: RequestArguments?) -> PileupSettings? {
        let datasets = items.flatMap { item in
            ["MCPileup", "DataPileup"].compactMap { item.inheriting($0, from: request)?.stringValue }.filter { !$0.isEmpty }
        }
        // The assignment's value carries its default (false), so a true in either place counts.
        let trust = (assignment?.bool("TrustPUSitelists") ?? false) || (request.bool("TrustPUSitelists") ?? false)
        return PileupSettings(datasets: datasets, trustLocation: trust)
    }
}

/// One task of a workload.
public struct WorkloadTask: Codable, Hashable, Sendable {
    /// Task name, unique in the workload.
    public var name: String
    /// Task path `/<workflow>/<task>/<child>...`.
    public var path: String
    /// Task type.
    public var type: TaskType
    /// Input.
    public var input: TaskInput
    /// Splitting algorithm and parameters.
    public var splitting: SplittingSpec
    /// Output modules.
    public var outputs: [TaskOutput]
    /// cmsRun steps (StepChain step names; the task name for other tasks).
    public var steps: [String]
    /// A StepChain task's steps with their outputs, input module and settings, in the order a job runs them; nil
    /// for every other task (one cmsRun step planned from the task type).
    public var chainSteps: [ChainStep]?
    /// Seconds per event (estimates).
    public var timePerEvent: Double
    /// kB per event (estimates).
    public var sizePerEvent: Double
    /// Memory in MB.
    public var memory: Double
    /// Cores each job of the task takes (ReqMgr2's `Multicore`, WMCore's `numberOfCores`; for a StepChain the
    /// largest of its steps', as WMCore's `getNumberOfCores`).
    public var multicore: Int
    /// Event streams of each job (`EventStreams`); nil or 0 lets cmsRun run one stream per thread.
    public var eventStreams: Int?
    /// GPU settings of each job (`RequiresGPU`, `GPUParams`); nil for tasks that never use one (merge, cleanup,
    /// log-collect, harvest), as WMCore's `setTaskGPUSettings` skips them.
    public var gpu: GPUSettings?
    /// `JobExtraMatchRequirements`: an HTCondor ClassAd expression WMCore adds to each job's requirements; kept on the
    /// task, its subscription and its jobs (neither batch plugin here evaluates ClassAds).
    public var jobExtraMatchRequirements: String?
    /// The pileup its jobs mix in (`MCPileup`/`DataPileup`), nil for none.
    public var pileup: PileupSettings?
    /// `IncludeParents`: its jobs read each input file's parent files too (as CMSSW's secondary input); nil for false.
    public var includeParents: Bool?
    /// A harvesting task's `DQMUploadUrl`: where its jobs upload their DQM file (nil for other tasks).
    public var dqmUploadURL: String?
    /// A merge task's `RobustMerge` (WMCore's default true, except for WMBSMergeBySize): its jobs skip an input they
    /// cannot read, reporting it as skipped, instead of failing. Nil for other tasks and workloads stored before.
    public var skipBadFiles: Bool?
    /// What the DBS records of the task's outputs say made them: the request's (or the task's) CMSSW release,
    /// GlobalTag and PrepID; a merge task takes its parent's. Nil for workloads stored before it existed.
    public var provenance: Provenance?
    /// The watchdog limits of its jobs (the assignment's `MaxRSS`, `MaxVSize`, `SoftTimeout`, `GracePeriod`, set on
    /// every task as WMCore's `setupPerformanceMonitoring`); nil when the assignment set none.
    public var performanceLimits: PerformanceLimits?

    /// The provenance of the task's output `module`: a StepChain task's output carries the release and GlobalTag of the
    /// step that writes it (the step's own, else the request's), any other output the task's.
    public func provenance(ofOutput module: String) -> Provenance? {
        guard let stepName = outputs.first(where: { $0.module == module })?.step,
              let step = chainSteps?.first(where: { $0.name == stepName }) else { return provenance }
        return Provenance(release: step.cmsswVersion ?? provenance?.release, globalTag: step.globalTag ?? provenance?.globalTag,
                          prepID: provenance?.prepID)
    }

    /// The release, GlobalTag and PrepID of a task's outputs.
    public struct Provenance: Codable, Hashable, Sendable {
        /// `CMSSWVersion`.
        public var release: String?
        /// `GlobalTag`.
        public var globalTag: String?
        /// `PrepID`.
        public var prepID: String?

        /// Makes a provenance.
        public init(release: String?, globalTag: String?, prepID: String?) {
            self.release = release
            self.globalTag = globalTag
            self.prepID = prepID
        }

        /// The job baggage keys the accountant reads for DBS records (`CMSSWVersion`, `GlobalTag`, `PrepID`),
        /// for the values this provenance has.
        public var baggage: [String: JSONValue] {
            var bag: [String: JSONValue] = [:]
            if let release { bag["CMSSWVersion"] = .string(release) }
            if let globalTag { bag["GlobalTag"] = .string(globalTag) }
            if let prepID, !prepID.isEmpty { bag["PrepID"] = .string(prepID) }
            return bag
        }
    }

    /// Makes a task.
    public init(name: String, path: String, type: TaskType, input: TaskInput, splitting: SplittingSpec,
                outputs: [TaskOutput] = [], steps: [String] = [], timePerEvent: Double = 0, sizePerEvent: Double = 0,
                memory: Double = 0, multicore: Int = 1, eventStreams: Int? = nil) {
        self.name = name
        self.path = path
        self.type = type
        self.input = input
        self.splitting = splitting
        self.outputs = outputs
        self.steps = steps.isEmpty ? [name] : steps
        self.timePerEvent = timePerEvent
        self.sizePerEvent = sizePerEvent
        self.memory = memory
        self.multicore = multicore
        self.eventStreams = eventStreams
    }

    /// The parent task's path (nil for top-level tasks).
    public var parentPath: String? {
        guard case .taskOutput(let parent, _) = input else { return nil }
        return parent
    }
}

/// A workload derived from a request: its tasks, parents before children.
public struct Workload: Codable, Hashable, Sendable {
    /// The request name.
    public var name: String
    /// The request type.
    public var requestType: RequestType
    /// Every task, parents before children.
    public var tasks: [WorkloadTask]
    /// The request's `FailureRateThreshold` (assignment over creation), if it set one.
    public var failureRateThreshold: Double?
    /// The close limits of the blocks of its outputs (the assignment's `BlockCloseMax*`), if it was assigned.
    public var blockCloseLimits: BlockLimits?
    /// The DBS access type its output datasets are inserted with (`ValidStatus`: PRODUCTION or VALID); nil for
    /// workloads stored before it was kept.
    public var validStatus: String?

    /// Makes a workload.
    public init(name: String, requestType: RequestType, tasks: [WorkloadTask], failureRateThreshold: Double? = nil,
                blockCloseLimits: BlockLimits? = nil) {
        self.name = name
        self.requestType = requestType
        self.tasks = tasks
        self.failureRateThreshold = failureRateThreshold
        self.blockCloseLimits = blockCloseLimits
    }

    /// The tasks the work queue splits (generator, dataset or ACDC input).
    public var topLevelTasks: [WorkloadTask] { tasks.filter { $0.input.isTopLevel } }
    /// The task named `name`.
    public func task(named name: String) -> WorkloadTask? { tasks.first { $0.name == name } }
    /// The task at `path`.
    public func task(path: String) -> WorkloadTask? { tasks.first { $0.path == path } }
    /// The merge task that merges output `module` of the task at `taskPath`, if that output is merged.
    public func mergeTask(ofOutput module: String, of taskPath: String) -> WorkloadTask? {
        tasks.first { $0.type == .merge && $0.input == .taskOutput(taskPath: taskPath, module: module) }
    }
    /// Every kept output dataset, sorted.
    public var outputDatasets: [String] {
        Array(Set(tasks.filter { $0.type != .merge }.flatMap { $0.outputs.filter(\.kept).map(\.dataset) })).sorted()
    }
}
