import Commands
import Foundation
import SpoolKit
import SpoolLayout

/// Builds the operations page from a spool and publishes it by rename: `wmctl report --html` and every
/// `wmagent run` pass share it, so the page in `<spool>/www/index.html` is made one way.
public struct OperationsPageWriter {
    /// The spool the page is built from.
    public let spool: Spool
    /// Seconds of backlog without progress that make a stage STUCK.
    public var stuckAfter: Double

    /// A writer for `spool`.
    public init(spool: Spool, stuckAfter: Double = Double(Wmctl.defaultStuckAfter)) {
        self.spool = spool
        self.stuckAfter = stuckAfter
    }

    /// `<spool>/www/index.html`, where the page is published unless told otherwise.
    public var spoolPagePath: String { spool.path(Layout.operationsPageFolder) + "/" + Layout.operationsPageFile }

    /// The report as the spool stands at `now`.
    public func report(now: Double) throws -> OperationsReport {
        try OperationsReportBuilder(spool: spool, stuckAfter: stuckAfter).build(now: now)
    }

    /// Builds the page at `now` and publishes it in `<spool>/www/index.html` (making `www/` when missing);
    /// returns the report it shows.
    ///
    /// - Throws: `CommandFailure(.cantCreate, …)` naming the path when the page cannot be written.
    @discardableResult
    public func publishInSpool(now: Double) throws -> OperationsReport {
        let report = try report(now: now)
        try publish(Array(OperationsPage.html(report).utf8), at: nil)
        return report
    }

    /// Writes `bytes` by rename, so a reader sees the old page or the new one, never half of one: at `path` through
    /// Foundation's atomic write (a temporary file beside it, renamed over it), or, when `path` is nil, in
    /// `<spool>/www/index.html` through the substrate (a temporary file in `.tmp/`, renamed into `www/`).
    public func publish(_ bytes: [UInt8], at path: String?) throws {
        let target = path ?? spoolPagePath
        do {
            if let path {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            } else {
                try spool.ensureDirectories([Layout.operationsPageFolder])
                let batch = SpoolBatch(spool: spool)
                try batch.writeFile(bytes, at: target)
                _ = try batch.commit()
            }
        } catch {
            throw CommandFailure(.cantCreate, "cannot write the operations page to '\(target)': \(error)")
        }
    }
}
