import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmctl job pause|resume|fail|kill ID... | - | ALL [filters] [--dry-run]`: the operator's verbs on jobs,
/// modelled on `postsuper` and WMCore's `paused-jobs` script.
///
/// Ids come as arguments, or one per line on standard input with `-`; every job needs `ALL`, narrowed
/// by `--workflow`, `--site`, `--task-type` and `--exit-code`. A confirmation line lists what will
/// change; `--dry-run` stops there. Each move is the same transition a stage would make, recorded
/// with actor `operator`, so moving files by hand and using the verbs leave the same history.
public enum JobVerbs {
    /// What each verb does: the states it acts on and where it sends the job.
    static func target(verb: String, from state: JobState) -> JobState? {
        switch verb {
        case "pause": return state.isCooloff ? state.pausedState : nil
        case "resume": return state.isPaused ? .created : nil
        case "fail": return state.isPaused || state.isCooloff ? .retrydone : nil
        case "kill": return state.canMove(to: .killed) && state != .killed ? .killed : nil
        default: return nil
        }
    }

    /// The filters `ALL` takes (`--exit-code` is range-checked: a code that does not parse is a usage error).
    static let filters: [CommandOption] = [
        CommandOption("workflow", .text("RE"), help: "ALL: jobs whose workflow matches the regular expression"),
        CommandOption("site", .text("SITE"), help: "ALL: jobs at, or able to run at, the site"),
        CommandOption("task-type", .text("TYPE"), help: "ALL: jobs of the task type (Processing, Merge, ...)"),
        CommandOption("exit-code", .integer(0...999_999_999), help: "ALL: jobs whose last exit code is N"),
    ]

    /// Runs a job verb; returns the exit code.
    static func run(_ verb: String, _ inv: WmctlInvocation, now: Double = WallClock.now()) throws -> Int32 {
        let parsed = inv.parsed, output = inv.output
        let spool = try inv.spool()
        let area = Areas.jobs(spool)
        var ids = inv.arguments
        if ids == ["-"] { ids = inv.stdin().split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let all = ids == ["ALL"]
        if ids.isEmpty { throw CommandFailure(.usage, "usage: wmctl job \(verb) ID... | - | ALL [--workflow RE] [--site S] [--task-type T] [--exit-code N] [--dry-run]") }
        if !all && filters.contains(where: { parsed.text($0.name) != nil }) {
            throw CommandFailure(.usage, "wmctl job \(verb): filters need ALL (e.g. wmctl job \(verb) ALL --workflow X)")
        }
        let workflowPattern: NSRegularExpression?
        do { workflowPattern = try parsed.text("workflow").map { try NSRegularExpression(pattern: $0) } } catch {
            throw CommandFailure(.usage, "wmctl job \(verb): --workflow '\(parsed.text("workflow") ?? "")' is not a regular expression: \(error)")
        }
        // Candidates: (name, state) pairs in the states this verb acts on.
        var candidates: [(name: String, state: JobState)] = []
        let states = JobState.allCases.filter { target(verb: verb, from: $0) != nil }
        if all {
            for state in states {
                for name in try area.scan(state) { candidates.append((name, state)) }
            }
        } else {
            for id in ids {
                guard let state = JobState.allCases.first(where: { spool.contains(id + ".json", in: area.folder($0)) }) else {
                    output.error("wmctl: no job named '\(id)'")
                    continue
                }
                guard states.contains(state) else {
                    output.error("wmctl: job '\(id)' is \(state.rawValue); '\(verb)' acts on \(states.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                candidates.append((id, state))
            }
        }
        // Apply the filters (reading the documents only for ALL with filters).
        var selected: [(name: String, state: JobState, job: JobDocument)] = []
        for (name, state) in candidates {
            let loaded: JobDocument?
            if parsed.dryRun { loaded = try area.peek(name, in: state) } else if case .document(let job) = try area.load(name, in: state, now: now) {
                loaded = job
            } else { loaded = nil }
            guard let job = loaded else { continue }
            if let re = workflowPattern, re.firstMatch(in: job.workflow, range: NSRange(job.workflow.startIndex..., in: job.workflow)) == nil { continue }
            if let site = parsed.text("site"), job.site != site && !job.possibleSites.contains(site) { continue }
            if let type = parsed.text("task-type"), job.taskType != type { continue }
            if let code = parsed.integer("exit-code"), job.exitCodes.last != code { continue }
            selected.append((name, state, job))
        }
        output.line("wmctl job \(verb): \(selected.count) job(s) will change" + (parsed.dryRun ? " (dry run: nothing changed)" : "") + ":")
        for s in selected { output.line("  \(s.name): \(s.state.rawValue) → \(target(verb: verb, from: s.state)!.rawValue)") }
        if parsed.dryRun || selected.isEmpty { return selected.isEmpty && !all ? ExitCode.noInput.rawValue : 0 }
        var moved = 0
        if verb == "kill" {
            moved = try JobKiller(spool: spool).kill(selected, actor: "operator", reason: "wmctl job kill", now: now)
        } else {
            try spool.inBatch { batch in
                for var s in selected {
                    let next = target(verb: verb, from: s.state)!
                    try s.job.transition(to: next, actor: "operator", reason: "wmctl job \(verb)", at: now)
                    if try batch.moveReplacingContent(s.name + ".json", from: area.folder(s.state), to: area.folder(next),
                                                      with: try area.encode(s.job)) == .moved { moved += 1 }
                }
            }
        }
        output.line("wmctl job \(verb): \(moved) job(s) changed")
        return 0
    }
}
