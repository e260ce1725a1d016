import Foundation
import FrameworkJobReport
import WMCore

/// What a null payload leaves: in its work directory a minimal CMSSW-format framework job report,
/// `Report.<retry>.xml`, for a step that succeeded with no input read and no output module (the jobs a
/// benchmark runs have none); in its `finished/` entry the exit code, 0.
enum LocalNullPayload {
    /// The line a null payload's entry ends with in `finished/`: its exit code, kept in the entry instead of
    /// an `exit-code` file (one file less to write, read and archive per job).
    static let exitLine = "exit=0\n"

    /// The report's file name and content for the submission `key` (`<job>-<retry>`) run at `site`.
    static func report(key: String, site: String, now: Double) throws -> (name: String, bytes: [UInt8]) {
        guard let attempt = AttemptKey(parsing: key) else {
            throw BatchPluginError.invalidSubmission(key: key, field: "key", expected: "<job>-<retry> with a numeric retry count")
        }
        var report = FrameworkJobReport()
        report.wrapper = WrapperInfo(stepStatus: 0, siteName: site, startTime: now, stopTime: now,
                                     jobName: attempt.job, retry: attempt.retry)
        report.performanceSummaries = [PerformanceSummary(metric: "Timing", metrics: [NamedMetric(name: "TotalJobTime", value: "0")])]
        return ("Report.\(attempt.retry).xml", Array(try report.xmlData()))
    }
}
