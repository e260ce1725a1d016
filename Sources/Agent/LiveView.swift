import Commands
import Foundation
import Operator
import SpoolKit
import SpoolLayout
import WMCore

/// What `wmagent run` shows: on a terminal, a live view redrawn in place at the bottom (jobs done of those
/// known so far, events, jobs/s, ETA; requests, elements and jobs by state), with log lines printed above it
/// (`printAbove`, the logger's sink) so the two never interleave; when piped, one plain log line per pass
/// that did something.
///
/// "Jobs done" counts jobs archived since the run began (cleanout and beyond): a job counts once, when it
/// leaves the pipeline for good. The total is those plus every job still in `jobs/` (any state but
/// corrupt); while elements still wait to be split into jobs the total can only grow, so no ETA is given.
public final class LiveView: @unchecked Sendable {
    private let spool: Spool
    /// Whether the view draws in place (a terminal) or logs plain lines.
    public let isTerminal: Bool
    /// Where plain pass lines go when not on a terminal.
    public var log: Logger?
    private let write: (String) -> Void
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var drawn: [String] = []

    /// Makes a view; `isTerminal` decides between the live view and plain lines; `write` receives the terminal text.
    public init(spool: Spool, isTerminal: Bool = isatty(STDERR_FILENO) == 1,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.spool = spool
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Prints a log line above the view: the view is erased, the line written, the view drawn again below it.
    public func printAbove(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        write(erase() + line + "\n" + render(drawn))
    }

    /// Shows one pass.
    public func show(_ pass: AgentRunner.PassSummary, force: Bool = false) {
        let moved = pass.done.filter { $0.value > 0 }
        if !isTerminal {
            if !moved.isEmpty {
                var fields = moved.mapValues(String.init)
                fields["activeJobs"] = String(pass.activeJobs)
                fields["jobsDone"] = String(pass.jobsFinished)
                fields["events"] = String(pass.eventsRecorded)
                log?.info("pass", fields)
            }
            return
        }
        let now = WallClock.now()
        guard force || now - lastDraw >= 0.5 else { return }
        lastDraw = now
        let counts = (try? SpoolInspector(spool: spool).counts()) ?? [:]
        let lines = Self.lines(pass, counts: counts)
        lock.lock()
        defer { lock.unlock() }
        write(erase() + render(lines))
        drawn = lines
    }

    /// The view's lines for a pass and the spool's document counts (area → state → count).
    public static func lines(_ pass: AgentRunner.PassSummary, counts: [String: [String: Int]]) -> [String] {
        func states(_ area: String) -> String {
            let perState = (counts[area] ?? [:]).filter { $0.value > 0 }
            return perState.isEmpty ? "-" : perState.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let jobs = counts[Layout.jobsRoot] ?? [:]
        let inPipeline = jobs.filter { $0.key != Spool.corruptFolderName }.values.reduce(0, +)
        let done = pass.jobsFinished
        let total = done + inPipeline
        let elements = counts[Layout.elements] ?? [:]
        let toSplit = (elements["Available"] ?? 0) + (elements["Acquired"] ?? 0) + (elements["Negotiating"] ?? 0)
        let rate = pass.elapsed > 0 ? Double(done) / pass.elapsed : 0
        let eta: String
        if toSplit > 0 {
            eta = "- (\(toSplit) element(s) still to split)"
        } else if total == done {
            eta = "0 s"
        } else {
            eta = rate > 0 ? String(format: "%.0f s", Double(total - done) / rate) : "-"
        }
        let percent = total > 0 ? String(format: " (%.0f%%)", 100 * Double(done) / Double(total)) : ""
        return ["wmagent  \(String(format: "%.0f", pass.elapsed)) s   jobs done \(done) of \(total)\(percent)   "
                    + "\(String(format: "%.1f", rate)) jobs/s   ETA \(eta)   events merged \(pass.eventsRecorded)",
                "requests: " + states(Layout.requests),
                "elements: " + states(Layout.elements),
                "jobs:     " + states(Layout.jobsRoot)]
    }

    private func erase() -> String {
        drawn.isEmpty ? "" : "\u{1B}[\(drawn.count)A" + "\u{1B}[0J"
    }

    private func render(_ lines: [String]) -> String {
        lines.map { "\u{1B}[2K" + $0 + "\n" }.joined()
    }
}
