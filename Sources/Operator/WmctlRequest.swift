import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmctl config add FILE` and `wmctl request ...`: the ReqMgr2 verbs for operators and scripts.
enum RequestVerbs {
    /// `--set Key=Value`, repeatable.
    static let set = CommandOption("set", .text("Key=Value"), repeatable: true, help: "set a key wherever it appears (Task1.Key for one task)")

    /// The moves an operator makes with one word, and the status each leads to.
    static let moves: [(verb: String, target: RequestStatus, summary: String)] = [
        ("approve", .assignmentApproved, "new → assignment-approved"),
        ("reject", .rejected, "→ rejected"),
        ("abort", .aborted, "→ aborted (its jobs are killed)"),
        ("force-complete", .forceComplete, "→ force-complete (unpulled elements canceled, pulled work runs to the end; the output is accepted as it is)"),
        ("close-out", .closedOut, "completed → closed-out"),
        ("announce", .announced, "closed-out → announced (refused until its account is complete)"),
    ]

    /// The request verbs.
    static let commands: [WmctlCommand] = [
        WmctlCommand("request submit", "FILE", "validate and store a request ({createRequest, assignRequest} JSON); prints its name",
                     options: [set, .flag("assign", help: "assign it too (assignRequest, overridden by --set)")], positional: 1...1, dryRun: .refused) {
            try run("submit", $0)
        },
        WmctlCommand("request ls", "", "requests with their status and priority",
                     options: [CommandOption("status", .choice(RequestStatus.allCases.map(\.rawValue)), help: "only requests in this status"),
                               WmctlCommand.json]) { try run("ls", $0) },
        WmctlCommand("request show", "NAME", "a request, its elements and history", options: [WmctlCommand.json], positional: 1...1) { try run("show", $0) },
        WmctlCommand("request account", "NAME", "expected, output, ACDC, missing and duplicated lumis and events per output dataset (65 when inconsistent)",
                     options: [WmctlCommand.json], positional: 1...1) { try run("account", $0) },
        WmctlCommand("request assign", "NAME", "assign an approved request: --set Team=T --set SiteWhitelist=T2_CH_CERN ...",
                     options: [set], positional: 1...1, dryRun: .refused) { try run("assign", $0) },
        WmctlCommand("request priority", "NAME N", "set a request's priority (0 to \(GroupPriorities.maximum))", positional: 2...2, dryRun: .refused) {
            try run("priority", $0)
        },
        WmctlCommand("request resubmit", "NAME", "a Resubmission request from the ACDC records of NAME; prints its name",
                     options: [CommandOption("task", .text("TASKPATH"), help: "the task whose records to resubmit (needed when several have some)"),
                               .flag("assign", help: "assign it as the original was")], positional: 1...1, dryRun: .supported) { try run("resubmit", $0) },
        WmctlCommand("request resume", "NAME", "submit again the jobs of a request whose submissions the agent stopped for its failure rate "
                     + "(the limit is not applied to it again)", positional: 1...1, dryRun: .supported) { try run("resume", $0) },
    ] + moves.map { move in
        WmctlCommand("request " + move.verb, "NAME", move.summary, positional: 1...1, dryRun: .supported) { try run(move.verb, $0) }
    }

    /// Parses `--set Key=Value` settings.
    static func settings(_ raw: [String]) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for text in raw {
            guard let (key, value) = RequestInput.parseSetting(text) else {
                throw CommandFailure(.usage, "wmctl: --set takes Key=Value, got '\(text)'")
            }
            result[key] = value
        }
        return result
    }

    /// The task a Resubmission of `original` covers (`task`, or the only one with ACDC records) and its record count.
    static func resubmissionTask(_ original: String, task: String?, manager: RequestManager, now: Double) throws -> (task: String, records: Int) {
        _ = try manager.load(original, now: now)
        let records = try ACDCStore(spool: manager.spool).records(workflow: original)
        let tasks = Set(records.map(\.task)).sorted()
        guard !tasks.isEmpty else { throw CommandFailure(.noInput, "wmctl: request '\(original)' has no ACDC records (nothing failed for good)") }
        guard let initial = task ?? (tasks.count == 1 ? tasks[0] : nil) else {
            throw CommandFailure(.usage, "wmctl: '\(original)' has ACDC records for several tasks; pick one with --task: \(tasks.joined(separator: ", "))")
        }
        return (initial, records.filter { $0.task == initial }.count)
    }

    /// `Key=value` for each argument WMCore only stores or shows (`RequestSpecs.recordedOnly`) that the request or its
    /// assignment gives a non-empty value.
    static func recordedArguments(_ doc: RequestDocument) -> [String] {
        RequestSpecs.recordedOnly.compactMap { key in
            guard let value = doc.assignment?[key] ?? doc.arguments[key],
                  value != .string(""), value != .array([]), value != .object([:]) else { return nil }
            return "\(key)=\(RequestProblem.render(value))"
        }
    }

    /// Makes a Resubmission request of `original` from its ACDC records (one task: `task`, or the only one).
    static func resubmit(_ original: String, task: String?, assign: Bool, manager: RequestManager, now: Double) throws -> RequestDocument {
        let source = try manager.load(original, now: now)
        let initial = try resubmissionTask(original, task: task, manager: manager, now: now).task
        var create: [String: JSONValue] = ["RequestType": "Resubmission", "OriginalRequestName": .string(original),
                                           "InitialTaskPath": .string(initial),
                                           "RequestString": .string("ACDC_" + (source.arguments.string("RequestString") ?? "request"))]
        for key in ["Requestor", "Group", "Campaign", "CMSSWVersion", "ScramArch", "RequestPriority", "GlobalTag", "Memory", "TimePerEvent", "SizePerEvent"] {
            if let value = source.arguments[key] { create[key] = value }
        }
        var submission: [String: JSONValue] = ["createRequest": .object(create)]
        if assign, let assignment = source.assignment { submission["assignRequest"] = .object(assignment.values) }
        return try manager.submit(Data(JSONValue.object(submission).serialized.utf8), assign: assign, actor: "operator", now: now)
    }

    /// The account of a request as the spool stands now (the one kept at close when its workload is gone).
    static func accountNow(_ request: String, spool: Spool, now: Double) throws -> RequestAccount {
        let accounting = RequestAccounting(spool: spool)
        guard try ElementStore(spool: spool).workload(request) != nil else {
            guard let stored = try accounting.stored(request) else {
                throw CommandFailure(.noInput, "wmctl: request '\(request)' has no account yet (it was never staged)")
            }
            return stored
        }
        return try accounting.account(of: request, now: now)
    }

    /// What keeps an account from being complete, in a few words.
    static func accountProblems(_ account: RequestAccount) -> String {
        var parts: [String] = []
        // Per dataset: the worst of the request's output datasets (a lost GEN-SIM lumi is missing from each tier below it too).
        let missing = account.datasets.map(\.missingEvents).max() ?? 0
        let acdc = account.datasets.map(\.acdcEvents).max() ?? 0
        let doubled = account.datasets.map(\.duplicatedEvents).max() ?? 0
        if account.datasets.contains(where: { !$0.missingLumis.isEmpty }) { parts.append("up to \(missing) events a dataset missing without an ACDC record") }
        if account.datasets.contains(where: { !$0.acdcLumis.isEmpty }) { parts.append("up to \(acdc) events a dataset recorded in ACDC, to resubmit") }
        if account.datasets.contains(where: { !$0.duplicatedLumis.isEmpty }) { parts.append("up to \(doubled) events a dataset duplicated") }
        if let leftOut = account.datasets.map(\.leftOutEvents).max(), leftOut > 0 {
            parts.append("up to \(leftOut) events a dataset left out by force-complete (never started, not in ACDC)")
        }
        return parts.joined(separator: "; ")
    }

    /// `wmctl acdc ls [WORKFLOW] [--json]`: what failed for good and is still to do.
    static func acdc(_ inv: WmctlInvocation) throws -> Int32 {
        let spool = try inv.spool(), json = inv.json, output = inv.output
        let store = ACDCStore(spool: spool)
        var workflows: [String] = []
        if let workflow = inv.arguments.first { workflows = [workflow] } else if spool.isFolder(ACDCStore.area) {
            try spool.forEachEntry(in: ACDCStore.area) { name, kind in
                if kind == .directory { workflows.append(name) }
                return true
            }
        }
        var rows: [JSONValue] = []
        for workflow in workflows.sorted() {
            for task in Set(try store.records(workflow: workflow).map(\.task)).sorted() {
                guard let merged = try store.merged(workflow: workflow, task: task) else { continue }
                let lumis = merged.files.reduce(0) { $0 + $1.lumis.count }
                let events = merged.files.reduce(0) { $0 + $1.events }
                rows.append(.object(["workflow": .string(workflow), "task": .string(task), "files": .int(merged.files.count),
                                     "lumis": .int(lumis), "events": .int(events), "algorithm": .string(merged.splittingAlgorithm)]))
                if !json { output.line("\(workflow)  \(task)  files=\(merged.files.count) lumis=\(lumis) events=\(events)") }
            }
        }
        if json { output.line(JSONValue.array(rows).serialized) }
        return 0
    }

    static func config(_ inv: WmctlInvocation) throws -> Int32 {
        let file = inv.arguments[0]
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(.noInput, "wmctl: cannot read '\(file)'") }
        do {
            inv.output.line(try ConfigCacheStore(spool: try inv.spool()).add(data, source: file, id: inv.parsed.text("id")))
        } catch let problem as DocumentProblem {
            throw CommandFailure(.dataError, "wmctl: \(problem)")
        }
        return 0
    }

    /// Runs a request verb (its arguments already checked by its spec); returns the exit code.
    static func run(_ verb: String, _ inv: WmctlInvocation, now: Double = WallClock.now()) throws -> Int32 {
        let rest = inv.arguments, json = inv.json, output = inv.output, parsed = inv.parsed
        let sets = parsed.texts("set")
        let spool = try inv.spool()
        let config = try inv.configuration(spool)
        let manager = Wiring.requestManager(spool, config: config)
        if !parsed.dryRun { try manager.ensureFolders() }
        do {
            switch verb {
            case "submit":
                guard let data = FileManager.default.contents(atPath: rest[0]) else { throw CommandFailure(.noInput, "wmctl: cannot read '\(rest[0])'") }
                let request = try manager.submit(data, overrides: try settings(sets), assign: parsed.flag("assign"), actor: "operator", now: now)
                output.line(request.name)
            case "ls":
                var rows: [RequestBody] = []
                for status in RequestStatus.allCases where parsed.text("status") == nil || parsed.text("status") == status.rawValue {
                    for name in try manager.area.scan(status) {
                        if case .document(let doc) = try manager.area.load(name, in: status, now: now) { rows.append(doc.body) }
                    }
                }
                if json {
                    output.line(try Wmctl.jsonString(rows.map { row in
                        var object: [String: JSONValue] = ["name": .string(row.name), "status": .string(row.state.rawValue), "priority": .int(row.priority)]
                        object["reason"] = row.failureReason.map(JSONValue.string)
                        return object
                    }))
                } else {
                    for row in rows { output.line("\(row.name)  \(row.state.rawValue)  priority=\(row.priority)" + (row.failureReason.map { "  reason: " + $0 } ?? "")) }
                }
            case "show":
                let doc = try manager.load(rest[0], now: now)
                // Elements still in the queue, else (a finished request) the ones archived for it.
                var elements = try ElementStore(spool: spool).elements(ofRequest: doc.name)
                if elements.isEmpty { elements = try ElementStore(spool: spool).archivedElements(ofRequest: doc.name) }
                var object = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(doc)).objectValue ?? [:]
                object["status"] = .string(doc.state.rawValue)
                object["reason"] = doc.failureReason.map(JSONValue.string)
                if let stop = try SubmissionStopStore(spool: spool).stop(doc.name) {
                    object["submissionStop"] = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(stop))
                }
                object["elements"] = .array(elements.map { .object(["id": .string($0.name), "status": .string($0.state.rawValue),
                                                                    "jobs": .int($0.jobs), "task": .string($0.taskName)]) })
                let account = try RequestAccounting(spool: spool).stored(doc.name)
                if let account {
                    object["account"] = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(account))
                    object["accountVerdict"] = .string(account.verdict.rawValue)
                }
                if json {
                    output.line(JSONValue.object(object).serialized)
                } else {
                    output.line("\(doc.name)  \(doc.state.rawValue)  priority=\(doc.priority) effective=\(doc.effectivePriority)  type=\(doc.requestType.rawValue)")
                    if let reason = doc.failureReason { output.line("reason: \(reason)") }
                    let recorded = Self.recordedArguments(doc)
                    if !recorded.isEmpty { output.line("recorded: " + recorded.joined(separator: "  ")) }
                    if let account, account.verdict == .forceCompleted {
                        output.line("FORCE-COMPLETED: the operator accepted the output as it is: \(Self.accountProblems(account))"
                                    + " (wmctl request account \(doc.name))")
                    } else if let account, account.verdict != .complete {
                        output.line("INCOMPLETE: account \(account.verdict.rawValue) when the request closed: \(Self.accountProblems(account))"
                                    + " (wmctl request account \(doc.name))")
                    } else if account != nil {
                        output.line("account: complete (every expected lumi and event in every output once)")
                    }
                    if let stop = try SubmissionStopStore(spool: spool).stop(doc.name) {
                        output.line(stop.isHolding
                            ? "SUBMISSIONS STOPPED: \(stop.reason) (\(stop.source)); wmctl request resume \(doc.name), or abort it"
                            : "submissions were stopped (\(stop.reason)) and resumed by the operator")
                    }
                    for e in elements { output.line("  element \(e.name)  \(e.state.rawValue)  jobs=\(e.jobs)  \(e.taskName)") }
                    for b in try SpoolInspector(spool: spool).blockedElements(config: config, now: now) where b.request == doc.name {
                        output.line("BLOCKED: element \(b.element) cannot be pulled: \(b.reason)")
                    }
                    output.line("history:")
                    for t in doc.history { output.line("  \(Logger.timestamp(t.time))  \(t.from) → \(t.to)  by \(t.actor): \(t.reason)") }
                }
            case "account":
                _ = try manager.load(rest[0], now: now)
                let account = try accountNow(rest[0], spool: spool, now: now)
                if json {
                    output.line(try Wmctl.jsonString(account))
                } else {
                    output.line(String(account.text.dropLast()))
                }
                return account.verdict == .inconsistent ? ExitCode.dataError.rawValue : 0
            case "assign":
                let doc = try manager.assign(rest[0], settings: try settings(sets), actor: "operator", now: now)
                output.line("\(doc.name): \(doc.state.rawValue) (team \(doc.team))")
            case "resubmit":
                if parsed.dryRun {
                    let (task, records) = try resubmissionTask(rest[0], task: parsed.text("task"), manager: manager, now: now)
                    output.line("wmctl request resubmit: would submit a Resubmission of \(rest[0]) for \(task) from \(records) ACDC record(s)"
                                + (parsed.flag("assign") ? " and assign it" : "") + " (dry run: nothing changed)")
                    return 0
                }
                let request = try resubmit(rest[0], task: parsed.text("task"), assign: parsed.flag("assign"), manager: manager, now: now)
                output.line(request.name)
            case "priority":
                guard let value = Int(rest[1]), (0...GroupPriorities.maximum).contains(value) else {
                    throw CommandFailure(.usage, "wmctl request priority: N is a whole number from 0 to \(GroupPriorities.maximum), got '\(rest[1])'")
                }
                let doc = try manager.update(rest[0], now: now) { try $0.body.editPriority(value, groupPriorities: manager.groups, at: now) }
                output.line("\(doc.name): priority \(doc.priority) (effective \(doc.effectivePriority))")
            case "resume":
                _ = try manager.load(rest[0], now: now)
                let stops = SubmissionStopStore(spool: spool)
                guard let stop = try stops.stop(rest[0]), stop.isHolding else {
                    throw CommandFailure(.dataError, "wmctl request resume: the submissions of '\(rest[0])' are not stopped (\(SubmissionStopStore.area)/\(rest[0]).json "
                                         + "is absent or already resumed)")
                }
                if parsed.dryRun {
                    output.line("\(rest[0]): would resume submissions stopped because \(stop.reason) (dry run: nothing changed)")
                    return 0
                }
                _ = try stops.resume(rest[0], at: now)
                output.line("\(rest[0]): submissions resumed (stopped because \(stop.reason); \(stop.source))")
            case let verb where moves.contains { $0.verb == verb }:
                let target = moves.first { $0.verb == verb }!.target
                if target == .announced {
                    let account = try accountNow(rest[0], spool: spool, now: now)
                    guard account.isAccepted else {
                        throw CommandFailure(.dataError, "wmctl: request '\(rest[0])' is not announced: its account is \(account.verdict.rawValue)"
                                             + " (\(Self.accountProblems(account))); see wmctl request account \(rest[0])")
                    }
                }
                if parsed.dryRun {
                    var doc = try manager.load(rest[0], now: now)
                    let from = doc.state
                    try doc.transition(to: target, actor: "operator", reason: "wmctl request \(verb)", at: now)
                    output.line("\(doc.name): would move \(from.rawValue) → \(doc.state.rawValue) (dry run: nothing changed)")
                    return 0
                }
                let doc = try manager.update(rest[0], now: now) { try $0.transition(to: target, actor: "operator", reason: "wmctl request \(verb)", at: now) }
                output.line("\(doc.name): \(doc.state.rawValue)")
            default:
                throw CommandFailure(.usage, "wmctl: unknown request verb '\(verb)'")
            }
        } catch let rejected as RequestRejected {
            output.error("wmctl: request rejected (\(rejected.problems.count) problem(s)):")
            for problem in rejected.problems { output.error("  - \(problem)") }
            return ExitCode.dataError.rawValue
        } catch let error as StateError {
            throw CommandFailure(.dataError, "wmctl: \(error)")
        } catch let error as RequestEditError {
            throw CommandFailure(.dataError, "wmctl: \(error)")
        }
        return 0
    }
}
