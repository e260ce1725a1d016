import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wmctl report --json | --html [--out DIR] [--page-size N] [--stuck-after S] [--dry-run]`: the operations page's
/// data, or the pages.
enum ReportVerb {
    /// The verb's own options.
    static let options: [CommandOption] = [
        WmctlCommand.json,
        .flag("html", help: "write the operations pages (self-contained HTML: index.html, index-2.html, …, requests/<request>.html) into --out, else <spool>/www/, by rename"),
        CommandOption("out", .text("DIR"), help: "the folder --html writes the pages into (made when missing; its parent must exist; default: <spool>/www)"),
        CommandOption("page-size", .integer(1...100_000), help: "requests listed on one index page (default \(OperationsPage.defaultPageSize))"),
        CommandOption("stuck-after", .number(0...1e9), help: "seconds of backlog without progress that make a stage STUCK (default \(Wmctl.defaultStuckAfter))"),
    ]

    /// Runs the verb; returns the exit code.
    static func run(_ inv: WmctlInvocation) throws -> Int32 {
        let html = inv.parsed.flag("html")
        guard html != inv.json else { throw CommandFailure(.usage, "wmctl report: give exactly one of --json and --html") }
        guard html || (inv.parsed.text("out") == nil && inv.parsed.integer("page-size") == nil) else {
            throw CommandFailure(.usage, "wmctl report: --out and --page-size go with --html")
        }
        let spool = try inv.spool()
        let writer = OperationsPageWriter(spool: spool, stuckAfter: inv.parsed.number("stuck-after") ?? Double(Wmctl.defaultStuckAfter),
                                          pageSize: inv.parsed.integer("page-size") ?? OperationsPage.defaultPageSize)
        if inv.json {
            inv.output.line(try Wmctl.jsonString(try writer.report(now: WallClock.now())))
            return 0
        }
        let out = inv.parsed.text("out")
        let folder = out ?? writer.spoolPageFolder
        var isFolder: ObjCBool = false
        if let out, !FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path, isDirectory: &isFolder) || !isFolder.boolValue {
            throw CommandFailure(.cantCreate, "wmctl report: cannot write the pages into '\(out)': its parent folder does not exist")
        }
        if inv.parsed.dryRun {
            let report = try writer.report(now: WallClock.now())
            let site = OperationsPage.site(report, pageSize: writer.pageSize)
            inv.output.line("wmctl report: would write \(site.count) page(s) into \(folder) (\(report.requests.count) request(s)); dry run: nothing written")
            return 0
        }
        do {
            let published: OperationsPageWriter.Published
            let report: OperationsReport
            if out == nil {
                (report, published) = try writer.publishInSpool(now: WallClock.now())
            } else {
                report = try writer.report(now: WallClock.now())
                published = try writer.publish(OperationsPage.site(report, pageSize: writer.pageSize), into: out)
            }
            inv.output.line("wmctl report: wrote \(folder)/\(Layout.operationsPageFile) (\(report.requests.count) request(s); "
                            + "\(published.written) page(s) written, \(published.unchanged) unchanged, \(published.removed) stale removed)")
        } catch let failure as CommandFailure {
            throw CommandFailure(failure.code, "wmctl report: " + failure.message)
        }
        return 0
    }
}
