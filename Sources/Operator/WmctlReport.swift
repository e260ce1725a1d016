import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wmctl report --json | --html [--out FILE] [--stuck-after S] [--dry-run]`: the operations page's data, or the page.
enum ReportVerb {
    /// The verb's own options.
    static let options: [CommandOption] = [
        WmctlCommand.json,
        .flag("html", help: "write the operations page (one self-contained HTML file) to --out, else <spool>/www/index.html, by rename"),
        CommandOption("out", .text("FILE"), help: "where --html writes the page (default: <spool>/www/index.html)"),
        CommandOption("stuck-after", .number(0...1e9), help: "seconds of backlog without progress that make a stage STUCK (default \(Wmctl.defaultStuckAfter))"),
    ]

    /// Runs the verb; returns the exit code.
    static func run(_ inv: WmctlInvocation) throws -> Int32 {
        let html = inv.parsed.flag("html")
        guard html != inv.json else { throw CommandFailure(.usage, "wmctl report: give exactly one of --json and --html") }
        guard html || inv.parsed.text("out") == nil else { throw CommandFailure(.usage, "wmctl report: --out goes with --html") }
        let spool = try inv.spool()
        let writer = OperationsPageWriter(spool: spool, stuckAfter: inv.parsed.number("stuck-after") ?? Double(Wmctl.defaultStuckAfter))
        let report = try writer.report(now: WallClock.now())
        if inv.json {
            inv.output.line(try Wmctl.jsonString(report))
            return 0
        }
        let page = OperationsPage.html(report)
        let out = inv.parsed.text("out")
        let path = out ?? writer.spoolPagePath
        if inv.parsed.dryRun {
            inv.output.line("wmctl report: would write \(page.utf8.count) bytes to \(path) (\(report.requests.count) request(s); dry run: nothing written)")
            return 0
        }
        do {
            try writer.publish(Array(page.utf8), at: out)
        } catch let failure as CommandFailure {
            throw CommandFailure(failure.code, "wmctl report: " + failure.message)
        }
        inv.output.line("wmctl report: wrote \(path) (\(report.requests.count) request(s))")
        return 0
    }
}
