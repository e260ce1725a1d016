/// A CMSSW framework job report (FJR) for one cmsRun step, as WMCore's `Report` holds it.
///
/// Read one with `FrameworkJobReportReader`, write one with `xmlData()`, summarise one with
/// `jsonSummary()`. Errors are recorded through `addError(_:)`, which applies WMCore's rules
/// (a repeated code is ignored; the step status becomes the code).
public struct FrameworkJobReport: Equatable, Sendable {
    /// Files read (`InputFile`), all input types together, in document order.
    public var inputFiles: [InputFile] = []
    /// Files written (`File`), in document order; see `outputModules` for the per-module view.
    public var outputFiles: [OutputFile] = []
    /// Framework errors, in the order they were added.
    public internal(set) var errors: [FrameworkError] = []
    /// Raw performance summaries, in document order; `performance` derives the grouped views.
    public var performanceSummaries: [PerformanceSummary] = []
    /// Inputs that could not be opened and were skipped (`SkippedFile`).
    public var skippedFiles: [FileReference] = []
    /// Inputs opened through the fallback (xrootd) path (`FallbackAttempt`).
    public var fallbackFiles: [FileReference] = []
    /// Events skipped by the framework (`SkippedEvent`).
    public var skippedEvents: [SkippedEvent] = []
    /// Analysis files (`AnalysisFile`), e.g. TFileService output.
    public var analysisFiles: [AnalysisFile] = []
    /// Every other top-level element: name → stripped text (last one wins), e.g. `ReadBranches`, `GeneratorInfo`.
    public var parameters: [String: String] = [:]
    /// Step and wrapper fields our job wrapper adds.
    public var wrapper = WrapperInfo()
    /// The step sections of a multi-step job's report (`cmsRun1`, `cmsRun2`, …, each named by its wrapper's
    /// `stepName`), empty for a single-step report; set them with `setSteps(_:)` (see `StepSections.swift`).
    public internal(set) var steps: [FrameworkJobReport] = []

    /// An empty report: no files, no errors, step status 1.
    public init() {}

    /// The exit code WMCore's `getExitCode` returns: the first non-zero error code; 99999 if the only
    /// errors have code 0; 0 when there is no error.
    public var exitCode: Int {
        var code = 0
        for error in errors {
            if error.exitStatus != 0 { return error.exitStatus }
            code = ExitCodes.unknownError
        }
        return code
    }

    /// Records an error the way WMCore's `addError` does: an error whose code (0 counted as 99999) is
    /// already present is ignored; otherwise it is appended and the step status becomes its code.
    /// Returns whether the error was added.
    @discardableResult
    public mutating func addError(_ error: FrameworkError) -> Bool {
        let normalised = { (code: Int) in code == 0 ? ExitCodes.unknownError : code }
        guard !errors.contains(where: { normalised($0.exitStatus) == error.exitStatus }) else { return false }
        errors.append(error)
        wrapper.stepStatus = error.exitStatus
        return true
    }

    /// The output module labels, in order of first appearance.
    public var outputModules: [String] {
        var seen = Set<String>()
        return outputFiles.map(\.moduleLabel).filter { seen.insert($0).inserted }
    }

    /// The files written by one output module.
    public func outputFiles(module: String) -> [OutputFile] { outputFiles.filter { $0.moduleLabel == module } }

    /// The grouped performance views (memory, cpu, storage, cmssw) derived from the summaries.
    public var performance: PerformanceMetrics { PerformanceMetrics(summaries: performanceSummaries) }

    /// The checks WMCore's CMSSW executor runs after cmsRun, adding their errors:
    /// no output and no analysis file → 60450; an output without adler32 → 60451;
    /// an output with no run or a run without lumis → 70452.
    public mutating func applyPostRunChecks() {
        if outputFiles.isEmpty && analysisFiles.isEmpty {
            let skipped = skippedFiles.compactMap(\.lfn).map { "  \($0)\n" }.joined()
            addError(FrameworkError(exitStatus: ExitCodes.noOutput, type: "NoOutput",
                                    details: "Job did not produce any output file.\nList of skipped files is:\n\(skipped)"))
        }
        if let file = outputFiles.last(where: { $0.adler32 == nil }) {
            addError(FrameworkError(exitStatus: ExitCodes.noAdler32Checksum, type: "NoAdler32Checksum",
                                    details: "Output file has no adler32 checksum, file was \(file.lfn)"))
        }
        if let file = outputFiles.last(where: { $0.runs.isEmpty || $0.runs.hasRunWithoutLumis }) {
            addError(FrameworkError(exitStatus: ExitCodes.noRunLumiInformation, type: "NoRunLumiInformation",
                                    details: "Output file has no run/lumi information, file was \(file.lfn)"))
        }
    }
}

/// The WMCore exit codes this module produces or interprets (`WMCore/WMExceptions.py`).
public enum ExitCodes {
    /// An error whose code is unknown (None or 0).
    public static let unknownError = 99999
    /// The job report could not be read (wrapper's point of view).
    public static let unreadableReport = 50115
    /// JobAccountant: the report path is missing.
    public static let accountantMissingReport = 99999
    /// JobAccountant: the report file has size 0.
    public static let accountantEmptyReport = 99998
    /// JobAccountant: the report could not be loaded.
    public static let accountantUnloadableReport = 99997
    /// cmsRun produced no output file.
    public static let noOutput = 60450
    /// An output file has no adler32 checksum.
    public static let noAdler32Checksum = 60451
    /// An output file has no run/lumi information.
    public static let noRunLumiInformation = 70452
}
