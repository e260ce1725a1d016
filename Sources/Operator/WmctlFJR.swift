import Commands
import Foundation
import FrameworkJobReport

/// `wmctl fjr FILE [--json]`: prints a framework job report; a report that can't be read exits 65 (EX_DATAERR)
/// with the reason.
enum FJRVerb {
    /// Runs the verb; returns the exit code.
    static func run(_ inv: WmctlInvocation) throws -> Int32 {
        let arguments = inv.arguments, json = inv.json, output = inv.output
        let report: FrameworkJobReport
        do {
            report = try FrameworkJobReportReader().read(contentsOf: URL(fileURLWithPath: arguments[0]))
        } catch {
            throw CommandFailure(error == .missingFile(source: arguments[0]) ? .noInput : .dataError, "wmctl fjr: \(error)")
        }
        if json {
            output.line(String(decoding: report.jsonSummary(), as: UTF8.self))
            return 0
        }
        output.line("report: \(arguments[0])")
        output.line("exit code: \(report.exitCode)   step \(report.wrapper.stepName) status \(report.wrapper.stepStatus)"
                    + (report.wrapper.siteName.map { "   site \($0)" } ?? ""))
        for error in report.errors {
            output.line("error \(error.exitStatus) \(error.type): \(error.details.prefix(300))")
        }
        for file in report.inputFiles {
            output.line("input  \(file.inputType.rawValue) \(file.lfn)  events \(file.events)")
        }
        for file in report.outputFiles {
            let extras = [file.size.map { "size \($0)" }, file.adler32.map { "adler32 \($0)" }].compactMap { $0 }.joined(separator: " ")
            output.line("output \(file.moduleLabel) \(file.lfn)  events \(file.events) \(extras)")
        }
        for file in report.skippedFiles { output.line("skipped \(file.lfn ?? file.pfn ?? "?")") }
        for file in report.fallbackFiles { output.line("fallback \(file.lfn ?? file.pfn ?? "?")") }
        let performance = report.performance
        if let rss = performance.memory["PeakValueRss"] { output.line("peak RSS: \(rss) MB") }
        if let time = performance.cpu["TotalJobTime"] { output.line("job time: \(time) s") }
        return 0
    }
}
