import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmctl`, the operator's tool, as a library: each verb reads the spool (or changes it through the
/// same code the stages use) and writes to `out`. The executable only forwards its arguments.
public struct Wmctl {
    /// Output collected by a run (tests read it; the executable prints it).
    public final class Output: @unchecked Sendable {
        /// Standard output text.
        public var stdout = ""
        /// Standard error text.
        public var stderr = ""
        /// Makes an empty output.
        public init() {}
        func line(_ s: String) { stdout += s + "\n" }
        func error(_ s: String) { stderr += s + "\n" }
    }

    /// Runs `wmctl` with `arguments` (without the program name); returns the exit code.
    ///
    /// `wmctl [--spool DIR] [--config FILE] VERB [SUBVERB] [arguments] [options]`: the verb's spec checks
    /// everything after the verb words (`CommandSpec.parse`), so an option the verb does not take, a value
    /// that does not parse or a wrong number of arguments exits 64 before anything is read or changed.
    public static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                           stdin: @escaping () -> String = { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) },
                           output: Output) -> Int32 {
        do {
            // Before the verb: only --spool and --config (handed on to the verb's spec) and --help.
            var leading: [String] = []
            var index = 0
            while index < arguments.count, arguments[index].hasPrefix("-") {
                let argument = arguments[index]
                if ["-h", "--help"].contains(argument) { output.line(help()); return 0 }
                let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
                guard ["--spool", "--config"].contains(name) else {
                    throw CommandFailure(.usage, "wmctl: '\(argument)' before the verb; only --spool and --config may come first (see wmctl --help)")
                }
                leading.append(argument)
                if !argument.contains("=") && index + 1 < arguments.count { leading.append(arguments[index + 1]); index += 1 }
                index += 1
            }
            guard index < arguments.count else { throw CommandFailure(.usage, help()) }
            var words = [arguments[index]]
            index += 1
            if words[0] == "help" { output.line(help()); return 0 }
            if isGroup(words[0]) {
                let next = index < arguments.count ? arguments[index] : nil
                if next == "--help" || next == "-h" { output.line(groupHelp(words[0])); return 0 }
                guard let next, !next.hasPrefix("-") else { throw CommandFailure(.usage, groupHelp(words[0])) }
                words.append(next)
                index += 1
            }
            guard let command = command(for: words) else {
                throw CommandFailure(.usage, "wmctl: unknown verb '\(words.joined(separator: " "))'\n"
                                     + (isGroup(words[0]) ? groupHelp(words[0]) : help()))
            }
            let parsed = try command.spec.parse(leading + arguments[index...])
            let spoolPath = parsed.text("spool") ?? ProgramInputs.defaultSpoolPath(environment: environment)
            return try command.run(WmctlInvocation(parsed: parsed, spoolPath: spoolPath, stdin: stdin, output: output))
        } catch let failure as CommandFailure {
            if failure.code == .ok { output.line(failure.message); return 0 }
            output.error(failure.message)
            return failure.code.rawValue
        } catch let failure as SplitCommandError {
            output.error(failure.description)
            return failure.exitCode.rawValue
        } catch let bad as ConfigurationError {
            output.error("wmctl: \(bad)")
            return (bad.missing ? ExitCode.noInput : ExitCode.dataError).rawValue
        } catch let refused as RefusedFile {
            output.error("wmctl: \(refused)")
            return ExitCode.dataError.rawValue
        } catch let coded as ExitStatusError {
            output.error("wmctl: \(coded)")
            return coded.exitCode.rawValue
        } catch {
            output.error("wmctl: \(error)")
            return ExitCode.failure.rawValue
        }
    }

    static func help() -> String {
        var lines = ["wmctl — operator tool for the spool", "",
                     "Usage: wmctl [--spool DIR] [--config FILE] VERB [args] [options]   (wmctl VERB --help: one verb's options)", ""]
        for command in commands {
            let verb = (command.words.joined(separator: " ") + " " + command.spec.arguments).trimmingCharacters(in: .whitespaces)
            // A long verb gets its description on the next line instead of being cut.
            lines.append(verb.count < 34 ? "  " + verb.padding(toLength: 34, withPad: " ", startingAt: 0) + command.spec.summary
                                         : "  " + verb + "\n" + String(repeating: " ", count: 36) + command.spec.summary)
        }
        lines += ["", "The spool is --spool DIR, else $WM_SPOOL, else ./spool; it must exist (wmagent init makes one).",
                  "Verbs that change the spool take --dry-run where they have one (and refuse it, changing nothing, where not).",
                  "Exit codes: 0 ok, 64 usage, 65 bad data, 66 no input (no spool, document or configuration), 75 try again.", "",
                  "Example:", "  WM_SPOOL=/data/spool wmctl ls jobs/jobpaused"]
        return lines.joined(separator: "\n")
    }

    static func status(_ inspector: SpoolInspector, config: AgentConfiguration, json: Bool, stuckAfter: Double, output: Output) throws {
        let counts = try inspector.counts()
        let health = StageHealth.readAll(inspector.spool)
        let now = WallClock.now()
        let unfinished = try RequestAccounting(spool: inspector.spool).unfinishedAccounts(now: now)
        let blocked = try inspector.blockedElements(config: config, now: now)
        let waiting = try inspector.waitingJobs(now: now)
        let stopped = try SubmissionStopStore(spool: inspector.spool).all().filter(\.isHolding)
        func isStuck(_ h: StageHealth) -> Bool { Wmctl.isStuck(h, now: now, threshold: stuckAfter) }
        if json {
            let object: [String: Any] = [
                "areas": counts,
                "stages": health.map { ["stage": $0.stage, "lastCycle": $0.lastCycle, "lastProgress": $0.lastProgress,
                                        "itemsDone": $0.itemsDone, "backlog": $0.backlog, "stuck": isStuck($0)] },
                "alerts": unfinished.map { ["request": $0.request, "account": $0.verdict.rawValue, "problem": RequestVerbs.accountProblems($0)] }
                    + blocked.map { ["request": $0.request, "element": $0.element, "problem": "cannot progress: " + $0.reason] }
                    + waiting.map { ["job": $0.job, "problem": "waits: " + $0.reason] }
                    + stopped.map { ["request": $0.workflow, "problem": "submissions stopped: \($0.reason) (\($0.source))"] },
                "tier0": try Tier0Verbs.statusLines(inspector.spool),
            ]
            output.line(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            return
        }
        for area in inspector.areas {
            let perState = counts[area.area] ?? [:]
            let nonzero = (area.states + [Spool.corruptFolderName]).filter { (perState[$0] ?? 0) > 0 }
            output.line("\(area.area): " + (nonzero.isEmpty ? "empty" : nonzero.map { "\($0)=\(perState[$0]!)" }.joined(separator: " ")))
        }
        for h in health {
            output.line("stage \(h.stage): last cycle \(Int(now - h.lastCycle)) s ago, done \(h.itemsDone), backlog \(h.backlog)"
                        + (isStuck(h) ? "  STUCK: backlog and no progress for \(Int(now - h.lastProgress)) s" : ""))
        }
        for line in try Tier0Verbs.statusLines(inspector.spool) { output.line(line) }
        for account in unfinished {
            output.line("ALERT request \(account.request): completed \(account.verdict.rawValue.uppercased()): \(RequestVerbs.accountProblems(account))"
                        + " (wmctl request account \(account.request))")
        }
        for b in blocked {
            output.line("ALERT request \(b.request): cannot progress: element \(b.element): \(b.reason) (etc/sites.json, etc/agent.json)")
        }
        for w in waiting {
            output.line("ALERT job \(w.job) waits: \(w.reason)")
        }
        for stop in stopped {
            output.line("ALERT request \(stop.workflow): submissions stopped: \(stop.reason) (\(stop.source)); "
                        + "wmctl request resume \(stop.workflow), or abort it")
        }
    }

    /// Seconds of backlog without progress after which `wmctl status` calls a stage stuck.
    public static let defaultStuckAfter = 600

    /// A stage is stuck when it has a backlog and made no progress for `threshold` seconds — however
    /// recently it ran: a stage that runs every minute but moves nothing is alive, not healthy.
    public static func isStuck(_ h: StageHealth, now: Double, threshold: Double = Double(defaultStuckAfter)) -> Bool {
        h.backlog > 0 && now - h.lastProgress > threshold
    }

    static func show(_ id: String, inspector: SpoolInspector, json: Bool, output: Output) throws {
        let places = inspector.locate(id)
        guard let first = places.first else { throw CommandFailure(.noInput, "wmctl: no document named '\(id)' in \(inspector.areas.map(\.area).joined(separator: ", "))") }
        if places.count > 1 {
            output.error("wmctl: warning: '\(id)' is in \(places.count) places: " + places.map { "\($0.area.area)/\($0.state)" }.joined(separator: ", "))
        }
        guard let data = try first.area.render(inspector.spool, id, first.state) else { throw CommandFailure(.noInput, "wmctl: '\(id)' moved while reading; try again") }
        if json { output.line(String(decoding: data, as: UTF8.self)); return }
        output.line("\(first.area.area)/\(first.state)/\(id)\(first.area.suffix)")
        if first.area.area == Layout.jobsRoot, first.state == JobState.created.rawValue,
           let reason = try inspector.waitingJobs().first(where: { $0.job == id })?.reason {
            output.line("waits: \(reason)")
        }
        if case .document(_, let recorded, let history) = first.area.inspect(inspector.spool, id + first.area.suffix, first.state) {
            output.line("recorded state: \(recorded)")
            output.line("history:")
            for t in history {
                output.line("  \(Logger.timestamp(t.time))  \(t.from) → \(t.to)  by \(t.actor): \(t.reason)")
            }
        }
        output.line(String(decoding: data, as: UTF8.self))
    }

    static func jsonString<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
