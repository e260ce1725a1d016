import Foundation
import SpoolKit
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

    /// The verbs, with one line of help each.
    public static let verbs: [(String, String)] = [
        ("status [--json]", "document counts per area and state, and each stage's health (STUCK: a backlog and nothing moved for --stuck-after S, 600)"),
        ("pending", "the number of jobs still in flight (not archived, not paused): 0 when no stage has a job to move"),
        ("ls AREA/STATE [--json]", "document names in one folder, e.g. jobs/created"),
        ("show ID [--json]", "the document and its history, wherever it is"),
        ("fsck [--repair] [--json]", "check every document: parseable, state matches folder, one copy, no vanished job, reports of their own job, no temp orphans"),
        ("config add FILE [--id ID]", "store a task configuration in the config cache; prints its id"),
        ("request submit|ls|show|assign|approve|reject|abort|...", "ReqMgr2 verbs (wmctl request --help)"),
        ("acdc ls [WORKFLOW]", "ACDC records: the work failed jobs left to do (wmctl request resubmit NAME makes it a request)"),
        ("job pause|resume|fail|kill ID...|-|ALL", "operator moves on jobs; ALL takes --workflow RE --site S --task-type T --exit-code N; --dry-run"),
        ("site ls|set-state|set-slots", "sites: list; set Normal/Draining/Down/Aborted (kills jobs bound to it); set slots"),
        ("fjr FILE [--json]", "a framework job report, parsed (65 when it can't be read)"),
        ("catalog datasets|blocks|files|lumis|events|import", "the catalog on disk (see 'wmctl catalog' for arguments)"),
        ("split --algorithm A --files F | --subscription WF/SUB | --request WF",
         "dry run of job splitting: the jobs that would be made (--type T, --params JSON|FILE, --open, --json)"),
    ]

    /// Runs `wmctl` with `arguments` (without the program name); returns the exit code.
    public static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                           stdin: () -> String = { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) },
                           output: Output) -> Int32 {
        var args = arguments
        var spoolPath = environment["WM_SPOOL"].flatMap { $0.isEmpty ? nil : $0 } ?? "spool"
        var json = false
        var flags: Set<String> = []
        var options: [String: String] = [:]
        var positional: [String] = []
        let valued: Set<String> = Set(["workflow", "site", "task-type", "exit-code", "status", "task", "id", "stuck-after"]).union(SplitVerb.valuedOptions)
        var sets: [String] = []
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--spool":
                guard i + 1 < args.count else { output.error("wmctl: --spool needs a directory"); return ExitCode.usage.rawValue }
                spoolPath = args[i + 1]
                i += 1
            case "--json": json = true
            case "--set":
                guard i + 1 < args.count else { output.error("wmctl: --set needs Key=Value"); return ExitCode.usage.rawValue }
                sets.append(args[i + 1])
                i += 1
            case "-h", "--help", "help":
                output.line(help())
                return 0
            default:
                let name = String(args[i].dropFirst(2))
                if args[i].hasPrefix("--") && valued.contains(name) {
                    guard i + 1 < args.count else { output.error("wmctl: \(args[i]) needs a value"); return ExitCode.usage.rawValue }
                    options[name] = args[i + 1]
                    i += 1
                } else if args[i].hasPrefix("--") { flags.insert(name) } else { positional.append(args[i]) }
            }
            i += 1
        }
        args = positional
        guard let verb = args.first else {
            output.error(help())
            return ExitCode.usage.rawValue
        }
        do {
            if verb == "split" { return try SplitVerb.run(options: options, flags: flags, json: json, spoolPath: spoolPath, output: output) }
            let spool = try Spool(root: spoolPath)
            let inspector = SpoolInspector(spool: spool)
            let rest = Array(args.dropFirst())
            switch verb {
            case "status":
                guard let stuckAfter = Double(options["stuck-after"] ?? String(defaultStuckAfter)), stuckAfter >= 0 else {
                    throw CommandFailure(.usage, "wmctl status: --stuck-after needs a number of seconds, got '\(options["stuck-after"] ?? "")'")
                }
                try status(inspector, json: json, stuckAfter: stuckAfter, output: output)
            case "pending": output.line(String(try AgentRunner.activeJobCount(spool)))
            case "ls":
                guard rest.count == 1 else { throw CommandFailure(.usage, "usage: wmctl ls AREA/STATE (e.g. jobs/created)") }
                let names = try inspector.list(rest[0])
                if json { output.line(try jsonString(names)) } else { names.forEach(output.line) }
            case "show":
                guard rest.count == 1 else { throw CommandFailure(.usage, "usage: wmctl show ID") }
                try show(rest[0], inspector: inspector, json: json, output: output)
            case "fsck":
                let findings = try inspector.fsck(repair: flags.contains("repair"))
                if json { output.line(try jsonString(findings)) } else {
                    for f in findings {
                        output.line("\(f.kind) \(f.path): \(f.detail)" + (f.repair.map { " [repair: \($0)]" } ?? ""))
                    }
                    output.line(findings.isEmpty ? "fsck: clean" : "fsck: \(findings.count) finding(s)")
                }
                let unrepaired = findings.filter { $0.repair == nil && $0.kind != "orphan-temporary" }
                return unrepaired.isEmpty ? 0 : ExitCode.dataError.rawValue
            case "acdc": return try RequestVerbs.acdc(rest, json: json, spool: spool, output: output)
            case "config": return try RequestVerbs.config(rest, id: options["id"], spool: spool, output: output)
            case "request": return try RequestVerbs.run(rest, sets: sets, options: options, flags: flags, json: json, spool: spool, output: output)
            case "job":
                guard rest.count >= 2, ["pause", "resume", "fail", "kill"].contains(rest[0]) else {
                    throw CommandFailure(.usage, "usage: wmctl job pause|resume|fail|kill ID... | - | ALL [filters] [--dry-run]")
                }
                return try JobVerbs.run(rest[0], arguments: Array(rest.dropFirst()), options: options, flags: flags,
                                        spool: spool, stdin: stdin, output: output)
            case "site": try WmctlSite.run(rest, spool: spool, json: json, output: output)
            case "fjr": return try FJRVerb.run(rest, json: json, output: output)
            case "catalog": return try CatalogVerbs.run(rest, json: json, spool: spool, output: output)
            default:
                throw CommandFailure(.usage, "wmctl: unknown verb '\(verb)'\n" + help())
            }
            return 0
        } catch let failure as CommandFailure {
            output.error(failure.message)
            return failure.code.rawValue
        } catch let failure as SplitCommandError {
            output.error(failure.description)
            return failure.exitCode.rawValue
        } catch {
            output.error("wmctl: \(error)")
            return ExitCode.failure.rawValue
        }
    }

    static func help() -> String {
        var lines = ["wmctl — operator tool for the spool", "", "Usage: wmctl [--spool DIR] VERB [args] [--json]", ""]
        for (verb, text) in verbs {
            // A long verb gets its description on the next line instead of being cut.
            lines.append(verb.count < 28 ? "  " + verb.padding(toLength: 28, withPad: " ", startingAt: 0) + text
                                         : "  " + verb + "\n" + String(repeating: " ", count: 30) + text)
        }
        lines += ["", "The spool is --spool DIR, else $WM_SPOOL, else ./spool.", "",
                  "Example:", "  WM_SPOOL=/data/spool wmctl ls jobs/jobpaused"]
        return lines.joined(separator: "\n")
    }

    static func status(_ inspector: SpoolInspector, json: Bool, stuckAfter: Double, output: Output) throws {
        let counts = try inspector.counts()
        let health = readHealth(inspector.spool)
        let now = SystemCall.now()
        let unfinished = try RequestAccounting(spool: inspector.spool).unfinishedAccounts(now: now)
        let blocked = try inspector.blockedElements(now: now)
        func isStuck(_ h: StageHealth) -> Bool { Wmctl.isStuck(h, now: now, threshold: stuckAfter) }
        if json {
            let object: [String: Any] = [
                "areas": counts,
                "stages": health.map { ["stage": $0.stage, "lastCycle": $0.lastCycle, "lastProgress": $0.lastProgress,
                                        "itemsDone": $0.itemsDone, "backlog": $0.backlog, "stuck": isStuck($0)] },
                "alerts": unfinished.map { ["request": $0.request, "account": $0.verdict.rawValue, "problem": RequestVerbs.accountProblems($0)] }
                    + blocked.map { ["request": $0.request, "element": $0.element, "problem": "cannot progress: " + $0.reason] },
            ]
            output.line(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            return
        }
        for area in inspector.areas {
            let perState = counts[area.area] ?? [:]
            let nonzero = (area.states + ["corrupt"]).filter { (perState[$0] ?? 0) > 0 }
            output.line("\(area.area): " + (nonzero.isEmpty ? "empty" : nonzero.map { "\($0)=\(perState[$0]!)" }.joined(separator: " ")))
        }
        for h in health {
            output.line("stage \(h.stage): last cycle \(Int(now - h.lastCycle)) s ago, done \(h.itemsDone), backlog \(h.backlog)"
                        + (isStuck(h) ? "  STUCK: backlog and no progress for \(Int(now - h.lastProgress)) s" : ""))
        }
        for account in unfinished {
            output.line("ALERT request \(account.request): completed \(account.verdict.rawValue.uppercased()): \(RequestVerbs.accountProblems(account))"
                        + " (wmctl request account \(account.request))")
        }
        for b in blocked {
            output.line("ALERT request \(b.request): cannot progress: element \(b.element): \(b.reason) (etc/sites.json, etc/agent.json)")
        }
    }

    /// Seconds of backlog without progress after which `wmctl status` calls a stage stuck.
    public static let defaultStuckAfter = 600

    /// A stage is stuck when it has a backlog and made no progress for `threshold` seconds — however
    /// recently it ran: a stage that runs every minute but moves nothing is alive, not healthy.
    public static func isStuck(_ h: StageHealth, now: Double, threshold: Double = Double(defaultStuckAfter)) -> Bool {
        h.backlog > 0 && now - h.lastProgress > threshold
    }

    static func readHealth(_ spool: Spool) -> [StageHealth] {
        let dir = spool.path(StageHealth.folder)
        var result: [StageHealth] = []
        try? SystemCall.forEachEntry(in: dir) { name, _ in
            if name.hasSuffix(".json"), let bytes = try? SystemCall.readFile(dir + "/" + name),
               let h = try? JSONDecoder().decode(StageHealth.self, from: Data(bytes)) {
                result.append(h)
            }
            return true
        }
        return result.sorted { $0.stage < $1.stage }
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
