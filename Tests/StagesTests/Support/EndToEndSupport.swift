import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Agent
@testable import BatchSystems
@testable import Commands
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// One event as `wmctl catalog events` lists it.
struct CatalogEvent: Hashable, Comparable, CustomStringConvertible {
    var run: Int
    var lumi: Int
    var event: Int
    static func < (a: CatalogEvent, b: CatalogEvent) -> Bool { (a.run, a.lumi, a.event) < (b.run, b.lumi, b.event) }
    var description: String { "\(run):\(lumi):\(event)" }
}

/// A whole agent on its own temporary spool, as `wmagent init` makes it, with a test `etc/agent.json`
/// (tiny cool-offs, optional job baggage), the operator's tool in-process, and the real pipeline: every
/// stage in `Pipeline` order, the local plugin starting real `wm-runjob`/`wm-cmsrun` processes.
struct EndToEndAgent {
    let spool: Spool
    let lines = LogCapture()

    /// The agent configuration of the tests: WMCore's error handler, Linear retries with a 0.05 s base.
    static func agentConfiguration(baggage: [String: Any], maxRetries: [String: Int]) -> [String: Any] {
        ["agentName": "agent1", "team": "production",
         "errorHandler": ["maxRetries": maxRetries],
         "retryManager": ["taskTypes": ["default": ["algorithm": "Linear", "coolOffTime": ["create": 0.05, "submit": 0.05, "job": 0.05]]]],
         "jobBaggage": baggage]
    }

    init(_ label: String, baggage: [String: Any] = [:], maxRetries: [String: Int] = [:]) throws {
        let root = TestSupport.temporaryDirectory("e2e-" + label)
        try AgentSpool.initialize(at: root)
        spool = try Spool(root: root, durability: .none)
        try setConfiguration(baggage: baggage, maxRetries: maxRetries)
    }

    /// Rewrites `etc/agent.json` (read by the local queue when it injects work, so it applies to work injected later).
    func setConfiguration(baggage: [String: Any] = [:], maxRetries: [String: Int] = [:]) throws {
        let object = Self.agentConfiguration(baggage: baggage, maxRetries: maxRetries)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: spool.path("etc/agent.json")))
    }

    /// A context on the real clock (cool-offs and process lifetimes are real time).
    var context: StageContext {
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        return StageContext(spool: spool, options: options, log: Logger(component: "e2e", sink: lines.append))
    }

    /// Runs `wmctl` in-process on this spool.
    func wmctl(_ args: [String]) -> (code: Int32, out: Wmctl.Output) {
        let output = Wmctl.Output()
        return (Wmctl.run(["--spool", spool.root] + args, environment: [:], stdin: { "" }, output: output), output)
    }

    /// Runs `wmctl` and requires exit 0; returns its standard output.
    @discardableResult
    func wmctlOK(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let (code, out) = wmctl(args)
        try #require(code == 0, "wmctl \(args.joined(separator: " ")): exit \(code): \(out.stderr)", sourceLocation: sourceLocation)
        return out.stdout
    }

    /// Adds a task configuration (its JSON text) to the config cache with `wmctl config add FILE [--id ID]`,
    /// from a file in a temporary directory; returns the id `wmctl` printed.
    @discardableResult
    func addConfig(_ json: String, id: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let file = TestSupport.temporaryDirectory("configs") + "/" + (id ?? "config") + ".json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: file))
        let printed = try wmctlOK(["config", "add", file] + (id.map { ["--id", $0] } ?? []), sourceLocation: sourceLocation)
        return printed.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Submits a request (a `{createRequest, assignRequest}` object) with `--assign`; returns its name.
    func submit(_ request: [String: Any]) throws -> String {
        let file = spool.path("request-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]).write(to: URL(fileURLWithPath: file))
        return try wmctlOK(["request", "submit", file, "--assign"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The stages of `wmagent run`, with the DBS upload's block limits replaced by `blockLimits`.
    func stages(blockLimits: BlockLimits = .wmcore, tier0: Bool = false) -> [StageCycle] {
        Pipeline.stages(agent: "agent1", tier0: tier0).map { $0 is DBSUploadStage ? DBSUploadStage(limits: blockLimits) : $0 }
    }

    /// `wmagent run --once`: every stage in order until nothing moves and no job is active.
    func runUntilQuiet(blockLimits: BlockLimits = .wmcore, stallTimeout: Double = 60, tier0: Bool = false) throws {
        do {
            _ = try AgentRunner(stages: stages(blockLimits: blockLimits, tier0: tier0), stallTimeout: stallTimeout).run(context: context, watch: false)
        } catch {
            Issue.record("agent run ended with \(error); last log lines:\n\(lines.text.split(separator: "\n").suffix(30).joined(separator: "\n"))")
            throw error
        }
    }

    /// The request's status (the `reqmgr/<status>/` folder holding it).
    func status(of request: String) -> String? {
        RequestStatus.allCases.first { SystemCall.exists(spool.path("reqmgr/\($0.rawValue)/\(request).json")) }?.rawValue
    }

    /// The catalog's dataset names.
    func datasets() throws -> Set<String> {
        Set(try CatalogStore(spool: spool).datasetRecords().map(\.dataset))
    }

    /// The datasets written under `/<PD>/<era>-<procstring>-v<N>/`.
    static func mcDatasets(_ tiers: [String], primary: String = "DemoMinBias", processed: String = "Demo2026-demo-v1") -> Set<String> {
        Set(tiers.map { "/\(primary)/\(processed)/\($0)" })
    }

    /// Every event of a dataset, read from storage as `wmctl catalog events` reads it (one line `run lumi event` each).
    func events(in dataset: String) throws -> [CatalogEvent] {
        let text = try wmctlOK(["catalog", "events", dataset])
        return try text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").compactMap { Int($0) }
            try #require(parts.count == 3, "catalog events line '\(line)': expected 'run lumi event'")
            return CatalogEvent(run: parts[0], lumi: parts[1], event: parts[2])
        }
    }

    /// The events a MonteCarlo request makes: run 1, events `first..<first+count`, `perLumi` events per lumi.
    static func monteCarloEvents(_ events: ClosedRange<Int>, perLumi: Int) -> [CatalogEvent] {
        events.map { CatalogEvent(run: 1, lumi: ($0 - 1) / perLumi + 1, event: $0) }
    }

    /// Job documents archived after cleanout (`archive/jobs/<Y>/<M>/<D>/`), of one workflow.
    func archivedJobs(of workflow: String) throws -> [JobDocument] {
        let area = Areas.jobs(spool)
        var jobs: [JobDocument] = []
        let base = spool.path("archive/jobs")
        guard let paths = FileManager.default.enumerator(atPath: base)?.allObjects as? [String] else { return [] }
        for path in paths where path.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: base + "/" + path))
            let job = try area.decode(Array(data), file: path).get()
            if job.workflow == workflow { jobs.append(job) }
        }
        return jobs
    }

    /// The account of a request as `wmctl request account NAME --json` prints it.
    func account(of request: String) throws -> RequestAccount {
        let (_, out) = wmctl(["request", "account", request, "--json"])
        return try JSONDecoder().decode(RequestAccount.self, from: Data(out.stdout.utf8))
    }

    /// The workflow summary the task archiver wrote.
    func summary(of workflow: String) throws -> WorkflowSummary {
        let bytes = try #require(try spool.read(workflow + ".json", in: TaskArchiverStage.summaries), "no summary for \(workflow)")
        return try JSONDecoder().decode(WorkflowSummary.self, from: Data(bytes))
    }

    /// Files under `storage/` (paths relative to it) whose path contains `fragment`.
    func storageFiles(containing fragment: String) -> [String] {
        let base = spool.path("storage")
        let all = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String]) ?? []
        return all.filter { $0.contains(fragment) && !SystemCall.isDirectory(base + "/" + $0) }.sorted()
    }

    /// `wmctl fsck` finds nothing.
    func expectClean(sourceLocation: SourceLocation = #_sourceLocation) {
        let (code, out) = wmctl(["fsck"])
        #expect(code == 0 && out.stdout.contains("fsck: clean"), "fsck: \(out.stdout)\(out.stderr)", sourceLocation: sourceLocation)
    }

    /// Processes started for this spool (their command line names a path in it, or they run in one of its
    /// folders, as `wm-cmsrun` does): pid → command line.
    func processesOfSpool() -> [Int32: String] {
        var found: [Int32: String] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let bytes = try? SystemCall.readFile("/proc/\(entry)/cmdline", limit: 1 << 16) else { continue }
            let command = String(decoding: bytes.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd")) ?? ""
            let ours = command.contains(spool.root + "/") || directory.hasPrefix(spool.root + "/")
            if ours && LocalProcess.stat(pid)?.state != "Z" { found[pid] = command }
        }
        return found
    }

    /// Kills (by process group) whatever this spool's jobs left running: a failed test must not leave payloads behind.
    func killLeftovers() {
        for pid in processesOfSpool().keys { _ = Glibc.kill(-pid, SIGKILL); _ = Glibc.kill(pid, SIGKILL) }
    }
}

/// Requests for the end-to-end tests, built from the example TaskChain.
enum EndToEndRequests {
    /// The example request (`etc/examples/TaskChain_MC.json`).
    static func example() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The GEN-SIM → DIGI → RECO chain for `events` events (`perJob` per GEN-SIM job, `perLumi` per lumi),
    /// with `assignment` added to the assignment (e.g. `MaxMergeEvents`), and `tasks` tasks of the chain kept.
    static func monteCarlo(events: Int, perJob: Int, perLumi: Int, tasks: Int = 3, assignment: [String: Any] = [:]) throws -> [String: Any] {
        var request = try example()
        var create = request["createRequest"] as! [String: Any]
        var task1 = create["Task1"] as! [String: Any]
        task1["RequestNumEvents"] = events
        task1["EventsPerJob"] = perJob
        task1["EventsPerLumi"] = perLumi
        create["Task1"] = task1
        create["TaskChain"] = tasks
        for n in stride(from: 3, to: tasks, by: -1) { create.removeValue(forKey: "Task\(n)") }
        request["createRequest"] = create
        var assign = request["assignRequest"] as! [String: Any]
        for (key, value) in assignment { assign[key] = value }
        request["assignRequest"] = assign
        return request
    }
}
