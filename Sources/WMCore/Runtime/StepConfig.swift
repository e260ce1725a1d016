import JobSplitting

/// The whole configuration of one cmsRun step, written by the job wrapper to `scratch/step.json`
/// and executed by `wm-cmsrun`. Paths of outputs are relative to the step's working directory.
public struct StepConfig: Codable, Hashable, Sendable {
    /// What the step does.
    public var mode: StepMode
    /// The workflow (request) name.
    public var workflow: String
    /// The task path, e.g. `/Workflow/GenSim`.
    public var taskPath: String
    /// The job name.
    public var jobName: String
    /// The attempt number (the job's retry count).
    public var retry: Int
    /// Input files in the order they are read.
    public var inputs: [StepInput]
    /// Secondary input files (CMSSW's `secondaryFileNames`): the parents of `inputs` for a job of an `IncludeParents`
    /// task; nil or empty for none. Each is opened and read; the report lists them as secondary input.
    public var secondaryInputs: [StepInput]?
    /// Pileup files (CMSSW's mixing module input, the job's `pileupFiles`), each read from the storage the job reads
    /// its primary input from; nil or empty for none. The step mixes one pileup event into each event it processes or
    /// generates, cycling through the files in order; the report lists each file it opened as `mixingFiles`.
    public var pileupInputs: [StepInput]?
    /// Output modules in the order they are written.
    public var outputs: [StepOutput]
    /// The job's mask (process mode).
    public var mask: JobMask
    /// Generation parameters (generate mode only).
    public var generation: GenerationSettings?
    /// Payload bytes per event; `nil` keeps the first input's.
    public var payloadSize: Int?
    /// The fault plan from the baggage key `faults`, kept as JSON (decoded by `wm-cmsrun`).
    public var faultPlan: JSONValue?
    /// Test knobs from the baggage key `cmsRunKnobs`.
    public var knobs: CmsRunKnobs
    /// The step's name in the job (`cmsRun1`..`cmsRunN` for a StepChain; nil for a single-step job).
    public var stepName: String?
    /// The CMSSW release the step runs (a StepChain step's `CMSSWVersion`); recorded in its report.
    public var cmsswVersion: String?
    /// The conditions the step runs with (a StepChain step's `GlobalTag`); recorded in its report.
    public var globalTag: String?
    /// A merge that skips an input it cannot open or read (reported as a skipped file) instead of failing: the job's
    /// baggage `skipBadFiles`, set for merge tasks of a request with `RobustMerge` (WMCore's default).
    public var skipBadFiles: Bool?
    /// The job baggage key that asks a merge to skip bad files.
    public static let skipBadFilesKey = "skipBadFiles"
    /// Threads the step runs (the job's `numberOfCores`, CMSSW's `numberOfThreads`); nil: 1.
    public var threads: Int?
    /// Concurrent event streams (the task's `EventStreams`, 0 or absent meaning one per thread, as CMSSW's
    /// `numberOfStreams`); nil: as many as threads.
    public var streams: Int?

    /// Makes a configuration.
    public init(mode: StepMode, workflow: String, taskPath: String, jobName: String, retry: Int,
                inputs: [StepInput], outputs: [StepOutput], mask: JobMask = JobMask(),
                generation: GenerationSettings? = nil, payloadSize: Int? = nil, faultPlan: JSONValue? = nil,
                knobs: CmsRunKnobs = CmsRunKnobs()) {
        self.mode = mode
        self.workflow = workflow
        self.taskPath = taskPath
        self.jobName = jobName
        self.retry = retry
        self.inputs = inputs
        self.outputs = outputs
        self.mask = mask
        self.generation = generation
        self.payloadSize = payloadSize
        self.faultPlan = faultPlan
        self.knobs = knobs
    }
}

/// One input file of a step: its LFN, the PFN it is read from, and its GUID.
public struct StepInput: Codable, Hashable, Sendable {
    /// Logical file name.
    public var lfn: String
    /// Physical file name (storage prefix + LFN).
    public var pfn: String
    /// GUID (the LFN's base name without `.root`).
    public var guid: String
    /// For a StepChain step reading the previous step's output: that output's file in the job's scratch folder (a
    /// plain name, read instead of `pfn`); nil for inputs read from storage.
    public var localFile: String?

    /// Makes an input.
    public init(lfn: String, pfn: String, guid: String, localFile: String? = nil) {
        self.lfn = lfn
        self.pfn = pfn
        self.guid = guid
        self.localFile = localFile
    }

    /// Why reading or deleting this input could touch a file outside the storage, or nil when it cannot: its LFN must
    /// stay below a prefix (`LFNRule.confinementProblem`) and its PFN be a storage prefix without `.`, `..` or empty
    /// components followed by the LFN. The runtime checks this at the point of every read and deletion, behind the
    /// full LFN rule checked where an LFN enters (reports, requests, catalog imports, ACDC).
    public var confinementProblem: String? {
        if let localFile {
            let plain = !localFile.isEmpty && !localFile.contains("/") && localFile != "." && localFile != ".."
            return plain ? nil : "local file '\(localFile)' is not a plain file name in the step's folder"
        }
        if let problem = LFNRule.confinementProblem(lfn) { return "LFN '\(lfn)' could leave the storage: \(problem)" }
        guard pfn.hasSuffix(lfn) else { return "PFN '\(pfn)' is not a storage prefix followed by its LFN \(lfn)" }
        let prefix = pfn.dropLast(lfn.count)
        let components = prefix.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if !prefix.hasPrefix("/") || components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "PFN '\(pfn)': its storage prefix '\(prefix)' is not an absolute path without '.', '..' or '//'"
        }
        return nil
    }
}

/// One output module of a step.
public struct StepOutput: Codable, Hashable, Sendable {
    /// The module label (or, for repack, `write_<PD>_<TIER>`).
    public var label: String
    /// The final LFN, `<lfnBase>/<lfnGroup>/<GUID>.root`.
    public var lfn: String
    /// The file GUID (uppercase UUID).
    public var guid: String
    /// The file the step writes, relative to its working directory (a fixed, safe name).
    public var localFile: String
    /// The data tier (`DataType` in the report).
    public var dataTier: String
    /// Trigger selection (0 keeps every event).
    public var triggerMask: UInt64
    /// False for a StepChain output with `KeepOutput: false`: the next step reads it locally, it is never staged out
    /// and it is not an output of the job (only of its step's report).
    public var stagedOut: Bool

    /// Makes an output.
    public init(label: String, lfn: String, guid: String, localFile: String, dataTier: String, triggerMask: UInt64 = 0,
                stagedOut: Bool = true) {
        self.label = label
        self.lfn = lfn
        self.guid = guid
        self.localFile = localFile
        self.dataTier = dataTier
        self.triggerMask = triggerMask
        self.stagedOut = stagedOut
    }

    private enum CodingKeys: String, CodingKey { case label, lfn, guid, localFile, dataTier, triggerMask, stagedOut }

    /// Decodes an output; `stagedOut` may be absent (true).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.decode(String.self, forKey: .label)
        lfn = try c.decode(String.self, forKey: .lfn)
        guid = try c.decode(String.self, forKey: .guid)
        localFile = try c.decode(String.self, forKey: .localFile)
        dataTier = try c.decode(String.self, forKey: .dataTier)
        triggerMask = try c.decode(UInt64.self, forKey: .triggerMask)
        stagedOut = try c.decodeIfPresent(Bool.self, forKey: .stagedOut) ?? true
    }
}

/// The generation parameters of a Production step (WMCore's MC job mask plus baggage).
public struct GenerationSettings: Codable, Hashable, Sendable {
    /// Run number (mask `FirstRun`, default 1).
    public var run: UInt32
    /// First event number (mask `FirstEvent`).
    public var firstEvent: UInt64
    /// Last event number (mask `LastEvent`).
    public var lastEvent: UInt64
    /// Lumi of the first event (mask `FirstLumi`).
    public var firstLumi: UInt32
    /// Last lumi the events may reach (mask `LastLumi`).
    public var lastLumi: UInt32?
    /// Events per lumi section (baggage `eventsPerLumi`).
    public var eventsPerLumi: UInt64
    /// Seed of the trigger bits (baggage `seed`).
    public var seed: UInt64

    /// Makes generation settings.
    public init(run: UInt32, firstEvent: UInt64, lastEvent: UInt64, firstLumi: UInt32, lastLumi: UInt32?,
                eventsPerLumi: UInt64, seed: UInt64) {
        self.run = run
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.firstLumi = firstLumi
        self.lastLumi = lastLumi
        self.eventsPerLumi = eventsPerLumi
        self.seed = seed
    }
}

/// Test knobs of the cmsRun stand-in (baggage key `cmsRunKnobs`), to provoke wrapper exit codes
/// that no `Fault` covers.
public struct CmsRunKnobs: Codable, Hashable, Sendable {
    /// Allocate and touch this many MB before running (to trip the RSS limit, 50660).
    public var allocateMB: Int?
    /// Hold the allocation this long, in seconds (default 5).
    public var holdSeconds: Double?
    /// Leave adler32/cksum out of the report (60451).
    public var omitChecksums: Bool
    /// Leave runs and lumis out of the report (70452).
    public var omitRunLumis: Bool

    /// Makes knobs; all off by default.
    public init(allocateMB: Int? = nil, holdSeconds: Double? = nil, omitChecksums: Bool = false, omitRunLumis: Bool = false) {
        self.allocateMB = allocateMB
        self.holdSeconds = holdSeconds
        self.omitChecksums = omitChecksums
        self.omitRunLumis = omitRunLumis
    }

    private enum CodingKeys: String, CodingKey { case allocateMB, holdSeconds, omitChecksums, omitRunLumis }

    /// Decodes knobs; every key may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        allocateMB = try c.decodeIfPresent(Int.self, forKey: .allocateMB)
        holdSeconds = try c.decodeIfPresent(Double.self, forKey: .holdSeconds)
        omitChecksums = try c.decodeIfPresent(Bool.self, forKey: .omitChecksums) ?? false
        omitRunLumis = try c.decodeIfPresent(Bool.self, forKey: .omitRunLumis) ?? false
    }
}
