import Commands
import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmctl split`: a dry run of job splitting that prints the jobs that would be created, creating nothing.
///
/// - `--algorithm NAME --type TYPE --params JSON --files FILE [--open]`: files from a JSON list of file
///   specs (the `input_files` form of WMCore's reference outputs), taken in the given order; `--params`
///   is a JSON object (inline, or the path of a file holding one). No spool is needed.
/// - `--subscription WORKFLOW/SUBSCRIPTION`: the subscription's available files, split as the job
///   creator would split them now ("how many jobs will this make?").
/// - `--request NAME`: the same for every subscription of the workflow in `wmbs/`.
///
/// `--json` prints `{"jobs": [{"input_files": [...], "mask": {...}}]}` (`referenceJSON`); for
/// `--request`, `{"subscriptions": {"NAME": {"jobs": [...]}, ...}}`. Otherwise a table with one line per
/// job and a total.
public enum SplitVerb {
    /// The options of `wmctl split`.
    static let options: [CommandOption] = [
        CommandOption("algorithm", .text("NAME"), help: "splitting algorithm (with --files)"),
        CommandOption("type", .text("TYPE"), help: "subscription type (default Processing)"),
        CommandOption("params", .text("JSON|FILE"), help: "splitting parameters: a JSON object or a file holding one"),
        CommandOption("files", .text("FILE"), help: "a JSON list of file specs to split"),
        .flag("open", help: "the fileset is still open"),
        CommandOption("subscription", .text("WORKFLOW/SUBSCRIPTION"), help: "split a subscription's available files as the job creator would"),
        CommandOption("request", .text("NAME"), help: "the same for every subscription of the workflow"),
        WmctlCommand.json,
    ]

    /// Runs `wmctl split`; returns the exit code.
    static func run(_ inv: WmctlInvocation, now: Double = WallClock.now()) throws -> Int32 {
        let options = inv.parsed.values.compactMapValues(\.last), json = inv.json, output = inv.output
        if let target = options["subscription"] {
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw SplitCommandError.badSubscriptionName(target) }
            let store = WMBSStore(spool: try inv.spool())
            guard let sub = try store.subscription(parts[0], parts[1]) else {
                throw SplitCommandError.noSubscription(workflow: parts[0], subscription: parts[1], folder: store.subscriptionFolder(parts[0], parts[1]))
            }
            let outcome = try JobCreatorStage.plan(store: store, workflow: parts[0], subscription: sub, now: now)?.outcome ?? SplitOutcome()
            try print(outcome, json: json, output: output)
        } else if let request = options["request"] {
            let store = WMBSStore(spool: try inv.spool())
            let subscriptions = try store.subscriptions(of: request)
            guard !subscriptions.isEmpty else { throw SplitCommandError.noWorkflow(request, folder: store.workflowFolder(request)) }
            var outcomes: [(String, SplitOutcome)] = []
            for sub in subscriptions {
                outcomes.append((sub.name, try JobCreatorStage.plan(store: store, workflow: request, subscription: sub, now: now)?.outcome ?? SplitOutcome()))
            }
            if json {
                let entries = try outcomes.map { name, outcome in
                    String(decoding: try JSONEncoder().encode(name), as: UTF8.self) + ":" + String(decoding: try referenceJSON(outcome), as: UTF8.self)
                }
                output.line("{\"subscriptions\":{" + entries.joined(separator: ",") + "}}")
            } else {
                for (name, outcome) in outcomes {
                    output.line("subscription \(name):")
                    try print(outcome, json: false, output: output)
                }
                output.line("request \(request): \(outcomes.reduce(0) { $0 + $1.1.jobs.count }) job(s) in \(outcomes.count) subscription(s)")
            }
        } else {
            let outcome = try splitFiles(options: options, open: inv.parsed.flag("open"), now: now)
            try print(outcome, json: json, output: output)
        }
        return 0
    }

    /// The free-form dry run: algorithm, type, parameters and files from the command line.
    static func splitFiles(options: [String: String], open: Bool, now: Double) throws -> SplitOutcome {
        guard let name = options["algorithm"], let filesPath = options["files"] else { throw SplitCommandError.usage }
        guard let algorithm = SplittingAlgorithm(rawValue: name) else { throw SplitCommandError.unknownAlgorithm(name) }
        let typeName = options["type"] ?? SubscriptionType.processing.rawValue
        guard let type = SubscriptionType(rawValue: typeName) else { throw SplitCommandError.unknownType(typeName) }
        let parameters = try readParameters(options["params"] ?? "{}")
        let files: [SplitFile]
        do {
            files = try JSONDecoder().decode([SplitFile].self, from: try Data(contentsOf: URL(fileURLWithPath: filesPath)))
        } catch {
            throw SplitCommandError.unreadableFiles(path: filesPath, reason: describeDecodingError(error, file: filesPath))
        }
        return try JobSplitter.split(algorithm, files: files, parameters: parameters,
                                     context: SplitContext(subscriptionType: type, filesetClosed: !open, now: now))
    }

    /// `--params`: an inline JSON object, or the path of a file holding one.
    static func readParameters(_ text: String) throws -> SplitParameters {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let data: Data
        if trimmed.hasPrefix("{") {
            data = Data(trimmed.utf8)
        } else {
            guard let contents = FileManager.default.contents(atPath: trimmed) else {
                throw SplitCommandError.badParameters("--params '\(trimmed)' is neither a JSON object nor a readable file")
            }
            data = contents
        }
        do {
            return try SplitParameters(json: data)
        } catch {
            throw SplitCommandError.badParameters("--params: \(error)")
        }
    }

    /// Prints the jobs as reference JSON or as a table with a total.
    static func print(_ outcome: SplitOutcome, json: Bool, output: Wmctl.Output) throws {
        if json {
            output.line(String(decoding: try referenceJSON(outcome), as: UTF8.self))
            return
        }
        let jobs = outcome.jobs
        output.line("  job  files   events    lumis  first file / mask")
        var totals = (events: 0, lumis: 0)
        var distinctFiles: Set<String> = []
        for (i, job) in jobs.enumerated() {
            let summary = JobSummary(job)
            distinctFiles.formUnion(job.inputFiles.lazy.map(\.lfn))
            totals.events += summary.events
            totals.lumis += summary.lumis
            let first = job.inputFiles.first.map { $0.lfn.split(separator: "/").last.map(String.init) ?? $0.lfn } ?? "-"
            let more = job.inputFiles.count > 1 ? " +\(job.inputFiles.count - 1)" : ""
            output.line(pad(String(i + 1), 5) + pad(String(job.inputFiles.count), 7) + pad(String(summary.events), 9)
                        + pad(String(summary.lumis), 9) + "  " + first + more + "  " + summary.maskText
                        + (job.creationFailure.map { "  FAILED \($0.code)" } ?? ""))
        }
        output.line("total: \(jobs.count) job(s), \(distinctFiles.count) file(s), \(totals.events) event(s), \(totals.lumis) lumi(s)"
                    + (outcome.failedFiles.isEmpty ? "" : ", \(outcome.failedFiles.count) file(s) failed"))
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}

/// What one job covers, for the table: events and lumis from the mask when it sets them, else from the files.
struct JobSummary {
    /// Events the job processes.
    let events: Int
    /// Lumi sections the job processes.
    let lumis: Int
    /// The mask in words, e.g. `events 1..150 lumis 1..3 run 1: 1-3,5-6`.
    let maskText: String

    init(_ job: SplitJob) {
        let mask = job.mask
        let ranged = mask.runAndLumis.reduce(0) { total, entry in
            total + entry.ranges.reduce(0) { $0 + ($1.count == 2 ? max(0, $1[1] - $1[0] + 1) : 0) }
        }
        if let first = mask.firstEvent, let last = mask.lastEvent, last >= first {
            events = last - first + 1
        } else if ranged > 0 {
            // Each file's events in proportion to its lumis the mask selects.
            events = job.inputFiles.reduce(0) { total, file in
                let all = file.runs.reduce(0) { $0 + $1.lumis.count }
                let selected = file.runs.reduce(0) { count, run in
                    count + run.lumis.filter { mask.contains(run: run.run, lumi: $0) }.count
                }
                return total + (all > 0 ? file.events * selected / all : 0)
            }
        } else {
            events = job.inputFiles.reduce(0) { $0 + $1.events }
        }
        if ranged > 0 {
            lumis = ranged
        } else if let first = mask.firstLumi, let last = mask.lastLumi, last >= first {
            lumis = last - first + 1
        } else {
            lumis = job.inputFiles.reduce(0) { $0 + $1.runs.reduce(0) { $0 + $1.lumis.count } }
        }
        var parts: [String] = []
        if mask.firstEvent != nil || mask.lastEvent != nil {
            parts.append("events \(mask.firstEvent.map(String.init) ?? "-")..\(mask.lastEvent.map(String.init) ?? "-")")
        }
        if let first = mask.firstLumi { parts.append("lumis \(first)..\(mask.lastLumi.map(String.init) ?? "-")") }
        for entry in mask.runAndLumis {
            parts.append("run \(entry.run): " + entry.ranges.map { $0.map(String.init).joined(separator: "-") }.joined(separator: ","))
        }
        maskText = parts.isEmpty ? "(whole files)" : parts.joined(separator: " ")
    }
}

extension JobMask {
    /// Whether the mask's run/lumi ranges select `lumi` of `run`.
    func contains(run: Int, lumi: Int) -> Bool {
        runAndLumis.contains { $0.run == run && $0.ranges.contains { $0.count == 2 && $0[0] <= lumi && lumi <= $0[1] } }
    }
}

/// Why `wmctl split` could not run.
public enum SplitCommandError: Error, CustomStringConvertible {
    /// Neither a subscription, a request, nor `--algorithm` with `--files` was given.
    case usage
    /// `--algorithm` names no known algorithm.
    case unknownAlgorithm(String)
    /// `--type` names no known subscription type.
    case unknownType(String)
    /// `--params` is not a JSON object of parameters.
    case badParameters(String)
    /// `--files` could not be read as a list of file specs.
    case unreadableFiles(path: String, reason: String)
    /// `--subscription` is not `WORKFLOW/SUBSCRIPTION`.
    case badSubscriptionName(String)
    /// The subscription does not exist.
    case noSubscription(workflow: String, subscription: String, folder: String)
    /// The workflow has no subscriptions.
    case noWorkflow(String, folder: String)

    /// The exit code for the failure.
    public var exitCode: ExitCode {
        switch self {
        case .usage, .unknownAlgorithm, .unknownType, .badSubscriptionName: return .usage
        case .badParameters, .unreadableFiles: return .dataError
        case .noSubscription, .noWorkflow: return .noInput
        }
    }

    public var description: String {
        switch self {
        case .usage:
            return "usage: wmctl split --algorithm NAME [--type TYPE] [--params JSON|FILE] --files FILE [--open] [--json]\n"
                + "       wmctl split --subscription WORKFLOW/SUBSCRIPTION [--json]\n       wmctl split --request NAME [--json]"
        case .unknownAlgorithm(let name):
            return "wmctl split: --algorithm '\(name)' is unknown; expected one of \(SplittingAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
        case .unknownType(let name):
            return "wmctl split: --type '\(name)' is unknown; expected one of \(SubscriptionType.allCases.map(\.rawValue).joined(separator: ", "))"
        case .badParameters(let reason):
            return "wmctl split: \(reason)"
        case .unreadableFiles(let path, let reason):
            return "wmctl split: --files \(path): expected a JSON list of file specs (lfn, size, events, first_event, last_event, locations, runs): \(reason)"
        case .badSubscriptionName(let text):
            return "wmctl split: --subscription '\(text)': expected WORKFLOW/SUBSCRIPTION"
        case .noSubscription(let workflow, let subscription, let folder):
            return "wmctl split: no subscription '\(subscription)' in workflow '\(workflow)' (\(folder)/subscription.json is missing)"
        case .noWorkflow(let name, let folder):
            return "wmctl split: request '\(name)' has no subscriptions in \(folder)"
        }
    }
}
