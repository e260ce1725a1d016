import FrameworkJobReport

/// The WMCore exit codes the job wrapper and the cmsRun stand-in produce (`WMCore/WMExceptions.py`,
/// CMSSW's exit-code table).
public enum RuntimeExitCodes {
    /// CMSSW: the configuration file could not be read.
    public static let configurationReadError = 7002
    /// CMSSW: generic exception.
    public static let cmsException = 8001
    /// CMSSW: an input file could not be opened.
    public static let fileOpenError = 8020
    /// CMSSW: an input file could not be read.
    public static let fileReadError = 8021
    /// CMSSW: an output file could not be written.
    public static let fileWriteError = 8033
    /// Wrapper: the cmsRun report is missing or unreadable.
    public static let unreadableReport = ExitCodes.unreadableReport
    /// Wrapper: resident memory above the limit; the step was killed.
    public static let memoryLimit = 50660
    /// Wrapper: virtual size above the limit (`MaxVSize`); the step was killed.
    public static let virtualMemoryLimit = 50661
    /// Wrapper: wall time above the limit; the step was killed.
    public static let wallTimeLimit = 50664
    /// A harvesting job could not upload its DQM file (WMCore's DQMUploadFailure).
    public static let dqmUploadFailure = 70318
    /// Stage-out of an output file failed.
    public static let stageOutFailure = 60307
    /// Cleanup: an input file could not be deleted.
    public static let deleteFailure = 60313
    /// No output file.
    public static let noOutput = ExitCodes.noOutput
    /// An output file without adler32.
    public static let noChecksum = ExitCodes.noAdler32Checksum
    /// An output file without runs or lumis.
    public static let noRunLumi = ExitCodes.noRunLumiInformation
    /// The wrapper itself failed (bad job document, unexpected error).
    public static let wrapperException = 99109

    /// The process exit status that carries a job exit code. Statuses have 8 bits, so codes above
    /// 255 are reduced modulo 256 (a multiple of 256 becomes 1, so failure never looks like success);
    /// the full code is always in the report.
    public static func processStatus(for code: Int) -> Int32 {
        if code == 0 { return 0 }
        let low = Int32(code & 0xFF)
        return low == 0 ? 1 : low
    }
}
