import Foundation
import SpoolKit
import WMCore

/// What `wmagent run` shows: on a terminal, a live view redrawn in place (requests by status, jobs by
/// state, jobs done of total, jobs/s, ETA); when piped, one plain log line per pass that did something.
public final class LiveView: @unchecked Sendable {
    private let spool: Spool
    private let log: Logger
    private let isTerminal: Bool
    private var lastDraw = 0.0
    private var drawnLines = 0

    /// Makes a view; `isTerminal` decides between the live view and plain lines.
    public init(spool: Spool, log: Logger, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.spool = spool
        self.log = log
        self.isTerminal = isTerminal
    }

    /// Shows one pass.
    public func show(_ pass: AgentRunner.PassSummary, force: Bool = false) {
        let moved = pass.done.filter { $0.value > 0 }
        if !isTerminal {
            if !moved.isEmpty {
                var fields = moved.mapValues(String.init)
                fields["activeJobs"] = String(pass.activeJobs)
                log.info("pass", fields)
            }
            return
        }
        let now = SystemCall.now()
        guard force || now - lastDraw >= 0.5 else { return }
        lastDraw = now
        let counts = (try? SpoolInspector(spool: spool).counts()) ?? [:]
        func line(_ area: String) -> String {
            let perState = counts[area] ?? [:]
            return perState.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let jobs = counts["jobs"] ?? [:]
        let total = jobs.values.reduce(0, +) - (jobs["corrupt"] ?? 0)
        let done = jobs["cleanout"] ?? 0
        let rate = pass.elapsed > 0 ? Double(done) / pass.elapsed : 0
        let eta = rate > 0 && total > done ? String(format: "%.0f s", Double(total - done) / rate) : "-"
        let lines = ["wmagent  \(String(format: "%.0f", pass.elapsed)) s   jobs done \(done)/\(total)   \(String(format: "%.1f", rate)) jobs/s   ETA \(eta)",
                     "requests: " + line("reqmgr"),
                     "elements: " + line("workqueue"),
                     "jobs:     " + line("jobs")]
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for l in lines { text += "\u{1B}[2K" + l + "\n" }
        drawnLines = lines.count
        FileHandle.standardError.write(Data(text.utf8))
    }
}
