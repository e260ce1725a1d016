import JobSplitting

/// The schema version of WMBS documents (subscriptions, filesets, job groups, files).
public let wmbsSchemaVersion = 1

/// A WMBS subscription: one task of a workflow reading one fileset with one splitting algorithm.
///
/// Stored as `wmbs/<workflow>/<name>/subscription.json`; its files sit in the folders `available/`,
/// `acquired/`, `completed/` and `failed/` beside it.
public struct Subscription: Codable, Sendable, Equatable {
    /// Schema version (`wmbsSchemaVersion`).
    public var schema: Int
    /// Short name, unique in the workflow (the task path's last part plus a disambiguator).
    public var name: String
    /// The workflow (request) name.
    public var workflow: String
    /// The task path, e.g. `/Req/GenSim/GenSimMergeRAWSIMoutput`.
    public var task: String
    /// Task type: Production, Processing, Merge, Cleanup, LogCollect, Harvesting, Skim, Repack, Express.
    public var taskType: String
    /// The fileset the subscription reads.
    public var inputFileset: String
    /// Splitting algorithm (WMCore name, e.g. `EventBased`).
    public var algorithm: String
    /// Splitting parameters (WMCore's keyword arguments).
    public var parameters: [String: JSONValue]
    /// Sites the jobs may run at (PSNs); empty means anywhere the data is.
    public var siteWhitelist: [String]
    /// Sites the jobs must not run at.
    public var siteBlacklist: [String]
    /// Use the site lists alone, ignoring data location (WMCore's `trustSitelists`).
    public var trustSiteLists: Bool
    /// The request's priority (job priority = task-type priority × 10^7 + this).
    public var requestPriority: Int
    /// Output modules: label → where the files go and which filesets they feed.
    public var outputs: [String: SubscriptionOutput]
    /// Extra settings copied into every job's baggage (events per lumi, payload size, faults, ...).
    public var baggage: [String: JSONValue]
    /// Resource estimates per event (seconds, kB) and per job (MB).
    public var timePerEvent: Double
    /// Size per event in kB (WMCore's sizePerEvent).
    public var sizePerEvent: Double
    /// Memory per job in MB.
    public var memory: Double
    /// Cores per job (the task's `Multicore`); nil in subscriptions written before cores were recorded: 1.
    public var numberOfCores: Int?
    /// Event streams per job (the task's `EventStreams`); nil or 0: one per thread.
    public var eventStreams: Int?

    /// Whether each job needs a GPU (the task's `RequiresGPU`); nil: forbidden.
    public var requiresGPU: GPURequirement?
    /// The task's decoded `GPUParams`, handed to each job as `gpuRequirements`.
    public var gpuRequirements: [String: JSONValue]?
    /// The task's `JobExtraMatchRequirements` (an HTCondor expression), handed to each job.
    public var jobExtraMatchRequirements: String?
    /// The task's pileup (datasets and `TrustPUSitelists`); the job creator gives each job the files, nil for none.
    public var pileup: PileupSettings?
    /// The task's `IncludeParents`: the job creator marks each job to read its input files' parents; nil for false.
    public var includeParents: Bool?
    /// The task's watchdog limits, handed to each job as `performanceMonitor`; nil for none.
    public var performanceLimits: PerformanceLimits?

    /// Cores each job of the subscription takes (1 when not recorded).
    public var cores: Int { numberOfCores ?? 1 }

    /// Why `numberOfCores` or `eventStreams` can't be used (outside 1...`Lexicon.maxCores`, 0...`Lexicon.maxCores`), or nil.
    public var coresProblem: String? {
        let most = Int(Lexicon.maxCores)
        if let numberOfCores, !(1...most).contains(numberOfCores) {
            return "field 'numberOfCores' is \(numberOfCores); expected 1 to \(most) (absent means 1)"
        }
        if let eventStreams, !(0...most).contains(eventStreams) {
            return "field 'eventStreams' is \(eventStreams); expected 0 to \(most) (absent or 0: one stream per thread)"
        }
        return nil
    }

    /// Makes a subscription.
    public init(name: String, workflow: String, task: String, taskType: String, inputFileset: String, algorithm: String,
                parameters: [String: JSONValue] = [:], siteWhitelist: [String] = [], siteBlacklist: [String] = [],
                trustSiteLists: Bool = false, requestPriority: Int = 8000, outputs: [String: SubscriptionOutput] = [:],
                baggage: [String: JSONValue] = [:], timePerEvent: Double = 1, sizePerEvent: Double = 1, memory: Double = 2000,
                numberOfCores: Int? = nil, eventStreams: Int? = nil) {
        schema = wmbsSchemaVersion
        self.name = name
        self.workflow = workflow
        self.task = task
        self.taskType = taskType
        self.inputFileset = inputFileset
        self.algorithm = algorithm
        self.parameters = parameters
        self.siteWhitelist = siteWhitelist
        self.siteBlacklist = siteBlacklist
        self.trustSiteLists = trustSiteLists
        self.requestPriority = requestPriority
        self.outputs = outputs
        self.baggage = baggage
        self.timePerEvent = timePerEvent
        self.sizePerEvent = sizePerEvent
        self.memory = memory
        self.numberOfCores = numberOfCores
        self.eventStreams = eventStreams
    }

    /// The task type, when `taskType` names one this code knows (nil for any other name, which is kept as is).
    public var knownTaskType: TaskType? { TaskType(rawValue: taskType) }

    /// Job priority: task-type priority × 10^7 + request priority (priority 0 for a task type this code does not know).
    public var jobPriority: Int { (knownTaskType?.submitPriority ?? 0) * 10_000_000 + requestPriority }
}

/// One output module of a subscription.
public struct SubscriptionOutput: Codable, Sendable, Equatable {
    /// Where the job writes and what the files are.
    public var spec: JobOutputSpec
    /// Filesets the module's files join (merge, cleanup and child-task inputs), when unmerged.
    public var unmergedFilesets: [String]
    /// Filesets the module's files join when they are already merged (straight to merge) —
    /// the merged fileset that feeds child tasks.
    public var mergedFilesets: [String]
    /// Straight-to-merge thresholds: a file at least this big (bytes) or with this many events skips the merge.
    public var minMergeSize: Int?
    /// Straight-to-merge threshold in events.
    public var maxMergeEvents: Int?
    /// True when the module's merged files go to the DBS buffer (they are a dataset's files).
    public var registerInCatalog: Bool

    /// Makes an output.
    public init(spec: JobOutputSpec, unmergedFilesets: [String] = [], mergedFilesets: [String] = [],
                minMergeSize: Int? = nil, maxMergeEvents: Int? = nil, registerInCatalog: Bool = true) {
        self.spec = spec
        self.unmergedFilesets = unmergedFilesets
        self.mergedFilesets = mergedFilesets
        self.minMergeSize = minMergeSize
        self.maxMergeEvents = maxMergeEvents
        self.registerInCatalog = registerInCatalog
    }
}

/// A fileset: a named set of files that subscriptions read; closed when no more files will come.
///
/// Stored as `wmbs/<workflow>/filesets/<name>.json`. Its files are not listed here: adding a file
/// publishes it into each consumer's `available/` folder.
public struct Fileset: Codable, Sendable, Equatable {
    /// Schema version.
    public var schema: Int
    /// The fileset's name (WMCore form, e.g. `/Req/GenSim/unmerged-RAWSIMoutputGEN-SIM`).
    public var name: String
    /// True while more files may arrive.
    public var open: Bool
    /// Subscriptions whose jobs produce the files (closing waits for them).
    public var producers: [String]
    /// Subscriptions that read the fileset.
    public var consumers: [String]
    /// The parent fileset (the producers' input) — closing waits for it to be closed.
    public var parent: String?

    /// Makes a fileset.
    public init(name: String, open: Bool = true, producers: [String] = [], consumers: [String] = [], parent: String? = nil) {
        schema = wmbsSchemaVersion
        self.name = name
        self.open = open
        self.producers = producers
        self.consumers = consumers
        self.parent = parent
    }
}

/// An intent record written before jobs are created, so a crash can't create a job twice or lose one.
///
/// The job creator publishes the group (with every job document) first, then moves the input files to
/// `acquired/`, then publishes the jobs under their fixed names, then marks the group done. Replaying a
/// group after a crash finishes exactly the steps that were missing.
public struct JobGroupRecord: Codable, Sendable {
    /// Schema version.
    public var schema: Int
    /// The group's name.
    public var name: String
    /// The subscription.
    public var subscription: String
    /// Keys of the files the group consumes (moved to `acquired/`).
    public var fileKeys: [String]
    /// Keys of files the algorithm failed (moved to `failed/`).
    public var failedFileKeys: [String]
    /// The jobs, complete, in the state they are published in (`created` or `createfailed`).
    public var jobs: [JobDocument]

    /// Makes a record.
    public init(name: String, subscription: String, fileKeys: [String], failedFileKeys: [String], jobs: [JobDocument]) {
        schema = wmbsSchemaVersion
        self.name = name
        self.subscription = subscription
        self.fileKeys = fileKeys
        self.failedFileKeys = failedFileKeys
        self.jobs = jobs
    }
}

/// Stable keys for file documents: LFNs contain `/`, so the file's document is named by a hash.
public enum FileKey {
    /// The document name of a file with this LFN: `f` + 16 hex digits of FNV-1a 64 over the LFN.
    public static func of(_ lfn: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lfn.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "f" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension SiteMapping {
    /// Where jobs reading these locations may run (WMCore's `JobFactory` candidate sites).
    ///
    /// trustSiteLists: whitelist − blacklist. Otherwise the PSNs of the input's PNNs, ∩ whitelist when it
    /// is non-empty, − blacklist. MC (no locations) runs anywhere on the whitelist.
    public static func candidateSites(locations: [String], whitelist: [String], blacklist: [String], trustSiteLists: Bool) -> [String] {
        let black = Set(blacklist)
        if trustSiteLists || locations.isEmpty {
            return whitelist.filter { !black.contains($0) }
        }
        var sites = Set(locations.map(psn(ofPNN:)))
        if !whitelist.isEmpty { sites.formIntersection(whitelist) }
        return sites.subtracting(black).sorted()
    }
}
