import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// One run of a `wmctl` verb: its checked command line, where the spool is, and where output goes.
struct WmctlInvocation {
    /// The verb's parsed command line.
    let parsed: ParsedCommand
    /// `--spool`, else `$WM_SPOOL`, else `./spool`.
    let spoolPath: String
    /// Standard input (ids for `-`).
    let stdin: () -> String
    /// Where output goes.
    let output: Wmctl.Output

    /// The spool, which must exist (`wmagent init` makes one).
    func spool() throws -> Spool { try ProgramInputs.existingSpool(spoolPath, program: "wmctl") }
    /// The agent configuration, found as every program finds it (`--config`, else `<spool>/etc/agent.json`).
    func configuration(_ spool: Spool) throws -> AgentConfiguration {
        try AgentConfiguration.load(path: ProgramInputs.configurationPath(explicit: parsed.text("config"), spoolRoot: spool.root))
    }
    /// `--json` was given.
    var json: Bool { parsed.flag("json") }
    /// The positional arguments.
    var arguments: [String] { parsed.positional }
}

/// A `wmctl` verb: the words that name it, its command-line spec, and what it does.
struct WmctlCommand: Sendable {
    /// `["status"]`, or a group and its verb: `["job", "kill"]`.
    let words: [String]
    /// Its options and arguments.
    let spec: CommandSpec
    /// Runs it; returns the exit code.
    let run: @Sendable (WmctlInvocation) throws -> Int32

    /// Options every verb accepts.
    static let shared: [CommandOption] = [
        CommandOption("spool", .text("DIR"), help: "the spool (default: $WM_SPOOL, else ./spool); it must exist (wmagent init makes one)"),
        CommandOption("config", .text("FILE"), help: "agent configuration (default: <spool>/etc/agent.json)"),
    ]
    /// `--json`.
    static let json = CommandOption.flag("json", help: "print JSON for scripts")

    /// Declares a verb.
    init(_ words: String, _ arguments: String = "", _ summary: String, options: [CommandOption] = [], positional: ClosedRange<Int> = 0...0,
         dryRun: CommandSpec.DryRun = .readOnly, run: @escaping @Sendable (WmctlInvocation) throws -> Int32) {
        self.words = words.split(separator: " ").map(String.init)
        spec = CommandSpec("wmctl " + words, arguments: arguments, summary: summary, options: options + Self.shared,
                           positional: positional, dryRun: dryRun)
        self.run = run
    }
}

extension Wmctl {
    /// Every verb of `wmctl`.
    static let commands: [WmctlCommand] = [
        WmctlCommand("status", "", "document counts per area and state, each stage's health, and alerts",
                     options: [WmctlCommand.json, CommandOption("stuck-after", .number(0...1e9),
                                                                help: "seconds of backlog without progress that make a stage STUCK (default \(defaultStuckAfter))")]) { inv in
            let spool = try inv.spool()
            try status(SpoolInspector(spool: spool), config: try inv.configuration(spool), json: inv.json, stuckAfter: inv.parsed.number("stuck-after") ?? Double(defaultStuckAfter), output: inv.output)
            return 0
        },
        WmctlCommand("report", "", "the operations page: requests with progress, jobs by state, failures by exit code × site, "
                     + "datasets, stages, sites (--json, or --html into www/index.html)", options: ReportVerb.options, dryRun: .supported) {
            try ReportVerb.run($0)
        },
        WmctlCommand("pending", "", "the number of jobs still in flight (not archived, not paused)") { inv in
            inv.output.line(String(try Areas.activeJobCount(try inv.spool())))
            return 0
        },
        WmctlCommand("ls", "AREA/STATE", "document names in one folder, e.g. jobs/created", options: [WmctlCommand.json], positional: 1...1) { inv in
            let names = try SpoolInspector(spool: try inv.spool()).list(inv.arguments[0])
            if inv.json { inv.output.line(try jsonString(names)) } else { names.forEach(inv.output.line) }
            return 0
        },
        WmctlCommand("show", "ID", "the document and its history, wherever it is", options: [WmctlCommand.json], positional: 1...1) { inv in
            try show(inv.arguments[0], inspector: SpoolInspector(spool: try inv.spool()), json: inv.json, output: inv.output)
            return 0
        },
        WmctlCommand("fsck", "", "check every document (parseable, state matches folder, one copy, no vanished job, own reports, no temp orphans)",
                     options: [.flag("repair", help: "repair what can be repaired (quarantine copies, reconcile states, fail vanished work into ACDC)"),
                               WmctlCommand.json], dryRun: .supported) { inv in
            try fsck(inv)
        },
        WmctlCommand("config add", "FILE", "store a task configuration in the config cache; prints its id",
                     options: [CommandOption("id", .text("ID"), help: "the id to store it under (default: its MD5)")], positional: 1...1, dryRun: .refused) { inv in
            try RequestVerbs.config(inv)
        },
        WmctlCommand("acdc ls", "[WORKFLOW]", "ACDC records: the work failed jobs left to do", options: [WmctlCommand.json], positional: 0...1) { inv in
            try RequestVerbs.acdc(inv)
        },
        WmctlCommand("job pause", "ID... | - | ALL", "cool-off jobs → paused", options: JobVerbs.filters, positional: 1...Int.max, dryRun: .supported) { try JobVerbs.run("pause", $0) },
        WmctlCommand("job resume", "ID... | - | ALL", "paused jobs → created", options: JobVerbs.filters, positional: 1...Int.max, dryRun: .supported) { try JobVerbs.run("resume", $0) },
        WmctlCommand("job fail", "ID... | - | ALL", "paused or cool-off jobs → retrydone", options: JobVerbs.filters, positional: 1...Int.max, dryRun: .supported) { try JobVerbs.run("fail", $0) },
        WmctlCommand("job kill", "ID... | - | ALL", "jobs → killed (batch jobs cancelled)", options: JobVerbs.filters, positional: 1...Int.max, dryRun: .supported) { try JobVerbs.run("kill", $0) },
        WmctlCommand("site ls", "", "sites, their states and slots", options: [WmctlCommand.json]) { try WmctlSite.list($0) },
        WmctlCommand("site set-state", "SITE Normal|Draining|Down|Aborted", "set a site's state (other than Normal kills the pending jobs bound to it)",
                     positional: 2...2, dryRun: .supported) { try WmctlSite.setState($0) },
        WmctlCommand("site set-slots", "SITE PENDING RUNNING [TASKTYPE]", "set a site's (or one task type's) pending and running slots",
                     positional: 3...4, dryRun: .supported) { try WmctlSite.setSlots($0) },
        WmctlCommand("fjr", "FILE", "a framework job report, parsed (65 when it can't be read); needs no spool",
                     options: [WmctlCommand.json], positional: 1...1) { try FJRVerb.run($0) },
        WmctlCommand("split", "", "dry run of job splitting: the jobs that would be made (needs a spool only with --subscription or --request)",
                     options: SplitVerb.options) { try SplitVerb.run($0) },
    ] + RequestVerbs.commands + CatalogVerbs.commands + Tier0Verbs.commands + Tier0ConditionVerbs.commands

    /// The verb named exactly by `words` (one word, or a group and its verb).
    static func command(for words: [String]) -> WmctlCommand? {
        commands.first { $0.words == words }
    }

    /// True when `word` names a group of verbs (`job`, `request`, ...).
    static func isGroup(_ word: String) -> Bool {
        commands.contains { $0.words.count == 2 && $0.words[0] == word }
    }

    /// The help of a group (`wmctl job --help`): one line per verb.
    static func groupHelp(_ group: String) -> String {
        let verbs = commands.filter { $0.words.count == 2 && $0.words[0] == group }
        return (["wmctl \(group) — verbs (wmctl \(group) VERB --help for one):", ""]
                + verbs.map { "  " + ($0.spec.command + " " + $0.spec.arguments).padding(toLength: 62, withPad: " ", startingAt: 0) + " " + $0.spec.summary })
            .joined(separator: "\n")
    }

    /// `wmctl fsck [--repair] [--dry-run]`: with `--dry-run`, the findings and what `--repair` would do, nothing changed.
    static func fsck(_ inv: WmctlInvocation) throws -> Int32 {
        let repair = inv.parsed.flag("repair") && !inv.parsed.dryRun
        let findings = try SpoolInspector(spool: try inv.spool()).fsck(repair: repair)
        if inv.json { inv.output.line(try jsonString(findings)) } else {
            for f in findings {
                inv.output.line("\(f.kind) \(f.path): \(f.detail)" + (f.repair.map { " [repair: \($0)]" } ?? ""))
            }
            inv.output.line(findings.isEmpty ? "fsck: clean" : "fsck: \(findings.count) finding(s)")
            if inv.parsed.dryRun && inv.parsed.flag("repair") && !findings.isEmpty {
                inv.output.line("fsck: dry run: nothing repaired (run with --repair alone to repair)")
            }
        }
        let unrepaired = findings.filter { $0.repair == nil && $0.kind != "orphan-temporary" }
        return unrepaired.isEmpty ? 0 : ExitCode.dataError.rawValue
    }
}
