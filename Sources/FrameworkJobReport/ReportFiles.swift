/// Where an input file came from in the job's configuration (the XML `InputType`).
public enum InputFileType: String, Equatable, Sendable, CaseIterable {
    /// The job's main input (`PoolSource.fileNames`).
    case primaryFiles
    /// Parent files read alongside the main input.
    case secondaryFiles
    /// Pile-up files mixed into the events.
    case mixingFiles
}

/// One `InputFile` of a framework job report: a file cmsRun opened for reading.
public struct InputFile: Equatable, Sendable {
    /// Logical file name.
    public var lfn: String
    /// Physical file name actually opened.
    public var pfn: String
    /// File GUID.
    public var guid: String
    /// Trivial file catalog used to resolve the LFN (often empty).
    public var catalog: String
    /// The input source module label (WMCore groups input files by it; usually "source").
    public var moduleLabel: String
    /// Primary, secondary or mixing input.
    public var inputType: InputFileType
    /// The CMSSW source class, e.g. `PoolSource`, `EmbeddedRootSource`.
    public var inputSourceClass: String
    /// Events read from this file (`EventsRead`).
    public var events: Int
    /// Runs and lumis read.
    public var runs: RunLumiMap

    /// Creates an input file record.
    public init(lfn: String, pfn: String, guid: String, catalog: String = "", moduleLabel: String = "source",
                inputType: InputFileType = .primaryFiles, inputSourceClass: String = "PoolSource",
                events: Int, runs: RunLumiMap = RunLumiMap()) {
        self.lfn = lfn; self.pfn = pfn; self.guid = guid; self.catalog = catalog
        self.moduleLabel = moduleLabel; self.inputType = inputType; self.inputSourceClass = inputSourceClass
        self.events = events; self.runs = runs
    }
}

/// An `(LFN, PFN)` pair: an output file's parent (`Inputs/Input`), a skipped file or a fallback attempt.
public struct FileReference: Equatable, Sendable {
    /// Logical file name (may be absent on `SkippedFile`/`FallbackAttempt`).
    public var lfn: String?
    /// Physical file name (may be absent on `SkippedFile`/`FallbackAttempt`).
    public var pfn: String?

    /// Creates a reference.
    public init(lfn: String?, pfn: String?) { self.lfn = lfn; self.pfn = pfn }
}

/// One `File` of a framework job report: a file written by an output module.
public struct OutputFile: Equatable, Sendable {
    /// The output module label (WMCore files outputs under it).
    public var moduleLabel: String
    /// Logical file name (may be empty, as in PerformanceReport.xml).
    public var lfn: String
    /// Physical (local) file name.
    public var pfn: String
    /// File GUID.
    public var guid: String
    /// Catalog (usually empty).
    public var catalog: String
    /// The CMSSW output module class, e.g. `PoolOutputModule`.
    public var outputModuleClass: String
    /// Events written (`TotalEvents`).
    public var events: Int
    /// The branch hash identifying the event content.
    public var branchHash: String
    /// `Data`, `MC` or empty; `nil` when the element is absent. WMCore reads and drops it.
    public var dataType: String?
    /// Runs and lumis written, with optional per-lumi event counts.
    public var runs: RunLumiMap
    /// The input files this output was made from (`Inputs/Input`).
    public var inputs: [FileReference]
    /// Size in bytes; not in CMSSW's XML (WMCore computes it after the job), added by our writer.
    public var size: Int?
    /// Adler32 checksum as 8 hex digits; not in CMSSW's XML, added by our writer.
    public var adler32: String?
    /// POSIX cksum; not in CMSSW's XML, added by our writer.
    public var cksum: String?
    /// False for a StepChain step's output with `KeepOutput: false`: written and read inside the job by a later step,
    /// never staged out, and no output of the job (it stays in its step's section, so the later step's outputs can be
    /// traced to their kept ancestors). Written as `<KeepOutput>false</KeepOutput>` only when false.
    public var kept: Bool

    /// Creates an output file record.
    public init(moduleLabel: String, lfn: String, pfn: String, guid: String, catalog: String = "",
                outputModuleClass: String = "PoolOutputModule", events: Int, branchHash: String,
                dataType: String? = nil, runs: RunLumiMap = RunLumiMap(), inputs: [FileReference] = [],
                size: Int? = nil, adler32: String? = nil, cksum: String? = nil, kept: Bool = true) {
        self.moduleLabel = moduleLabel; self.lfn = lfn; self.pfn = pfn; self.guid = guid
        self.catalog = catalog; self.outputModuleClass = outputModuleClass; self.events = events
        self.branchHash = branchHash; self.dataType = dataType; self.runs = runs; self.inputs = inputs
        self.size = size; self.adler32 = adler32; self.cksum = cksum; self.kept = kept
    }

    /// The LFNs of this file's inputs, in report order.
    public var inputLFNs: [String] { inputs.compactMap(\.lfn) }
}

/// A `FrameworkError`: an exit status, an exception type and free-text details.
public struct FrameworkError: Equatable, Sendable {
    /// The exit code; WMCore's default when the attribute is absent is 8001.
    public var exitStatus: Int
    /// The exception type; default `CMSException`.
    public var type: String
    /// The element text (stripped, as WMCore does).
    public var details: String

    /// The default exit status of a `FrameworkError` without `ExitStatus`.
    public static let defaultExitStatus = 8001
    /// The default type of a `FrameworkError` without `Type`.
    public static let defaultType = "CMSException"

    /// Creates an error record.
    public init(exitStatus: Int = FrameworkError.defaultExitStatus, type: String = FrameworkError.defaultType,
                details: String = "") {
        self.exitStatus = exitStatus; self.type = type; self.details = details
    }
}

/// A `SkippedEvent Run Event` entry.
public struct SkippedEvent: Equatable, Sendable {
    /// Run number.
    public var run: Int
    /// Event number.
    public var event: Int

    /// Creates a skipped event.
    public init(run: Int, event: Int) { self.run = run; self.event = event }
}

/// An `AnalysisFile`: a `FileName` child plus other children whose `Value` attribute is kept.
public struct AnalysisFile: Equatable, Sendable {
    /// The `FileName` text, if present.
    public var fileName: String?
    /// Other children, name → `Value` attribute (nil when the attribute is absent).
    public var attributes: [String: String?]

    /// Creates an analysis file record.
    public init(fileName: String?, attributes: [String: String?] = [:]) {
        self.fileName = fileName; self.attributes = attributes
    }
}

/// What our job wrapper adds around cmsRun's report (written as one `WMWrapper` element).
public struct WrapperInfo: Equatable, Sendable {
    /// The name of the step the report belongs to (WMCore's first step, usually `cmsRun1`).
    public var stepName: String
    /// The step status: starts at 1, becomes each added error's code; only the executor sets 0.
    public var stepStatus: Int
    /// The site the job ran at.
    public var siteName: String?
    /// Step start, seconds since the epoch.
    public var startTime: Double?
    /// Step stop, seconds since the epoch.
    public var stopTime: Double?
    /// The wrapper's own exit code (as opposed to cmsRun's), if it set one.
    public var wrapperExitCode: Int?
    /// The job the report belongs to (`JobName`), stamped by our wrapper; nil in a report it did not write.
    public var jobName: String?
    /// The attempt (the job's retry count, `Retry`) the report belongs to, stamped with `jobName`.
    public var retry: Int?

    /// The step name WMCore uses for the first cmsRun step.
    public static let defaultStepName = "cmsRun1"
    /// The status a step starts with; parsing never sets 0.
    public static let initialStepStatus = 1

    /// Creates wrapper info.
    public init(stepName: String = WrapperInfo.defaultStepName, stepStatus: Int = WrapperInfo.initialStepStatus,
                siteName: String? = nil, startTime: Double? = nil, stopTime: Double? = nil,
                wrapperExitCode: Int? = nil, jobName: String? = nil, retry: Int? = nil) {
        self.stepName = stepName; self.stepStatus = stepStatus; self.siteName = siteName
        self.startTime = startTime; self.stopTime = stopTime; self.wrapperExitCode = wrapperExitCode
        self.jobName = jobName; self.retry = retry
    }

    /// `<job>-<retry>` of the attempt the report is stamped with, nil when it carries no stamp.
    public var attempt: String? {
        guard let jobName, let retry else { return nil }
        return "\(jobName)-\(retry)"
    }

    /// True when the step status counts as success (WMCore: status in {0, "0", success, Success}).
    public var isStepSuccessful: Bool { stepStatus == 0 }
}
