import JobSplitting

/// The schema version of job documents this code reads and writes.
public let jobSchemaVersion = 1

/// A WMBS job: everything the stages after the job creator need, plus its history.
///
/// Stored as `<name>.json` in `jobs/<state>/`. Unknown keys survive (see `Annotated`).
public struct JobBody: StatefulBody, Hashable {
    /// Schema version of the document (`jobSchemaVersion`).
    public var schema: Int
    /// Unique job name (WMCore: `<uuid>-<n>`), also the file name.
    public var name: String
    /// The request (workflow) name.
    public var workflow: String
    /// The task path, e.g. `/Workflow/GenSim/GenSimMergeRAWSIMoutput`.
    public var task: String
    /// Task type: Production, Processing, Merge, Cleanup, LogCollect, Harvesting, Skim, Repack, Express.
    public var taskType: String
    /// The subscription that made the job.
    public var subscription: String
    /// Input files with their runs and lumis.
    public var inputFiles: [SplitFile]
    /// What part of the input to process.
    public var mask: JobMask
    /// Retries so far (moving to killed adds 99999, leaving a cool-off state adds 1).
    public var retryCount: Int
    /// Sites (PSNs) the job may run at.
    public var possibleSites: [String]
    /// Submit priority: task-type priority × 10^7 + request priority.
    public var priority: Int
    /// Estimated wall time in seconds.
    public var estimatedTime: Double
    /// Estimated disk in kB.
    public var estimatedDisk: Double
    /// Estimated memory in MB.
    public var estimatedMemory: Double
    /// Cores the job takes (WMCore's `numberOfCores`); nil in documents written before cores were recorded,
    /// which take 1 (see `cores`).
    public var numberOfCores: Int?
    /// Whether the job needs a GPU (WMCore's job `requiresGPU`); nil in documents of tasks without GPU settings: forbidden.
    public var requiresGPU: GPURequirement?
    /// The task's GPUParams object (WMCore's job `gpuRequirements`), nil when none was given.
    public var gpuRequirements: [String: JSONValue]?
    /// The task's `JobExtraMatchRequirements` (WMCore's job `jobExtraMatchRequirements`), nil when empty.
    public var jobExtraMatchRequirements: String?
    /// The pileup files the job mixes in (WMCore's pileup configuration in the sandbox): the files of the task's pileup
    /// datasets stored at one of `possibleSites` (every file under `TrustPUSitelists`); nil for a job without pileup.
    public var pileupFiles: [PileupFile]?
    /// True when the job reads each input file's `parents` as secondary input (its task's `IncludeParents`, WMCore's
    /// parent files attached per input file); nil otherwise.
    public var includeParents: Bool?
    /// The watchdog limits the wrapper enforces on cmsRun (its task's `MaxRSS`, `MaxVSize`, `SoftTimeout`,
    /// `GracePeriod`, as WMCore's PerformanceMonitor arguments); nil for none (the agent's limits only).
    public var performanceMonitor: PerformanceLimits?
    /// The batch system's id for the current submission.
    public var batchID: String?
    /// The site the current submission went to.
    public var site: String?
    /// Exit codes in the order they happened (one per failed attempt).
    public var exitCodes: [Int]
    /// Extra payload settings (WMCore's baggage), e.g. events per lumi, faults for tests.
    public var baggage: [String: JSONValue]
    /// Output modules and where their files go: module label → output spec.
    public var outputs: [String: JobOutputSpec]
    /// Run time of the last attempt in seconds, from its report (the error handler's max-fail-time rule).
    public var lastRunTime: Double?
    /// The recorded state.
    public var state: JobState
    /// Every transition, oldest first.
    public var history: [Transition]

    /// The task type, when `taskType` names one this code knows (nil for any other name, which is kept as is).
    public var knownTaskType: TaskType? { TaskType(rawValue: taskType) }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, name, workflow, task, taskType, subscription, inputFiles, mask, retryCount, possibleSites
        case priority, estimatedTime, estimatedDisk, estimatedMemory, batchID, site, exitCodes, baggage, outputs, lastRunTime
        case numberOfCores, requiresGPU, gpuRequirements, jobExtraMatchRequirements, pileupFiles, includeParents, performanceMonitor, state, history
    }

    /// Makes a job in state `new` with an empty history.
    public init(name: String, workflow: String, task: String, taskType: String, subscription: String,
                inputFiles: [SplitFile], mask: JobMask = JobMask(), possibleSites: [String] = [],
                priority: Int = 0, estimatedTime: Double = 0, estimatedDisk: Double = 0,
                estimatedMemory: Double = 0, baggage: [String: JSONValue] = [:],
                outputs: [String: JobOutputSpec] = [:]) {
        schema = jobSchemaVersion
        self.name = name
        self.workflow = workflow
        self.task = task
        self.taskType = taskType
        self.subscription = subscription
        self.inputFiles = inputFiles
        self.mask = mask
        retryCount = 0
        self.possibleSites = possibleSites
        self.priority = priority
        self.estimatedTime = estimatedTime
        self.estimatedDisk = estimatedDisk
        self.estimatedMemory = estimatedMemory
        exitCodes = []
        self.baggage = baggage
        self.outputs = outputs
        state = .new
        history = []
    }

    /// WMCore's retry counting: killed adds 99999; leaving a cool-off state adds 1.
    public mutating func willMove(from: JobState, to: JobState) {
        if to == .killed && from != .killed { retryCount += 99999 }
        if from.isCooloff && to != .killed { retryCount += 1 }
    }

    /// True when the job may only run at a site with a GPU (`requiresGPU` is required).
    public var needsGPU: Bool { requiresGPU == .required }

    /// Cores the job takes: `numberOfCores`, 1 when the document does not say.
    public var cores: Int { numberOfCores ?? 1 }

    /// Why `numberOfCores` can't be used (outside 1...`Lexicon.maxCores`), or nil.
    public var coresProblem: String? {
        guard let numberOfCores else { return nil }
        return (1...Int(Lexicon.maxCores)).contains(numberOfCores) ? nil
            : "field 'numberOfCores' is \(numberOfCores); expected 1 to \(Int(Lexicon.maxCores)) (absent means 1)"
    }

    /// The idempotency key of the current submission: job name plus retry count.
    public var submissionKey: String { AttemptKey(job: name, retry: retryCount).description }
}

/// One pileup file a job may read: its LFN, events, and the storage nodes (PNNs) holding it.
public struct PileupFile: Codable, Hashable, Sendable {
    /// The file's LFN.
    public var lfn: String
    /// Events in the file.
    public var events: Int
    /// PNNs holding the file (its block's locations).
    public var locations: [String]

    /// Makes an entry.
    public init(lfn: String, events: Int, locations: [String]) {
        self.lfn = lfn
        self.events = events
        self.locations = locations
    }

    /// The files of `datasets` a job at one of `sites` reads: every valid file whose block is at a PNN of one of
    /// those sites (`SiteMapping`), or every valid file when `trustLocation` (WMCore's `TrustPUSitelists`).
    /// Sorted by LFN.
    public static func resolve(_ datasets: [CatalogDataset], sites: [String], trustLocation: Bool) -> [PileupFile] {
        let wanted = Set(sites)
        var files: [PileupFile] = []
        for dataset in datasets {
            for block in dataset.blocks {
                let here = block.locations.contains { wanted.contains(SiteMapping.psn(ofPNN: $0)) }
                guard trustLocation || here else { continue }
                files += block.files.filter(\.isValid).map { PileupFile(lfn: $0.lfn, events: $0.events, locations: block.locations) }
            }
        }
        return files.sorted { $0.lfn < $1.lfn }
    }

    /// The files as a JSON array of `{"events", "lfn", "locations"}` objects (the job document's `pileupFiles`).
    public static func json(_ files: [PileupFile]) -> JSONValue {
        .array(files.map { .object(["lfn": .string($0.lfn), "events": .int($0.events),
                                    "locations": .array($0.locations.map(JSONValue.string))]) })
    }

    /// Files read back from `json(_:)`'s form; nil when an entry lacks a field, has a relative LFN or a negative count.
    public static func list(json: JSONValue) -> [PileupFile]? {
        guard case .array(let items) = json else { return nil }
        var files: [PileupFile] = []
        for item in items {
            guard case .object(let o) = item, let lfn = o["lfn"]?.stringValue, lfn.hasPrefix("/"),
                  let events = o["events"]?.intValue, events >= 0,
                  case .array(let locations)? = o["locations"] else { return nil }
            let names = locations.compactMap(\.stringValue)
            guard names.count == locations.count else { return nil }
            files.append(PileupFile(lfn: lfn, events: events, locations: names))
        }
        return files
    }
}

/// Where one output module of a job writes, and what it holds.
public struct JobOutputSpec: Codable, Hashable, Sendable {
    /// Data tier, e.g. `GEN-SIM`.
    public var dataTier: String
    /// The dataset the output belongs to, `/PD/ProcessedDataset/TIER`.
    public var dataset: String
    /// LFN directory the file goes to (unmerged or merged base plus the LFN layout).
    public var lfnBase: String
    /// True when the output is already merged (merge jobs, straight-to-merge).
    public var merged: Bool
    /// Trigger-bit filter (0 keeps every event).
    public var filterMask: UInt64

    /// Makes an output spec.
    public init(dataTier: String, dataset: String, lfnBase: String, merged: Bool, filterMask: UInt64 = 0) {
        self.dataTier = dataTier
        self.dataset = dataset
        self.lfnBase = lfnBase
        self.merged = merged
        self.filterMask = filterMask
    }
}

/// A job document as stored: the typed body plus any keys operators added.
public typealias JobDocument = Annotated<JobBody>
