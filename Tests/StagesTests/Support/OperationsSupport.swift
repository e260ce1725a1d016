import Foundation
import SpoolKit
@testable import Agent
@testable import Operator
@testable import SpoolLayout
import TestSupport
import Testing
import WMCore

/// A spool made by the built `wmagent init` and driven by the built programs as separate processes,
/// the way an operator (or cron) runs them. Retries cool off for 0.05 s instead of 30 s.
struct ProgramSpool {
    /// The spool's root folder.
    let root: String
    /// The spool, for in-process reads.
    let spool: Spool

    /// The agent configuration the operations tests use: the shipped one with a tiny retry cool-off.
    static let agentJSON = EmbeddedDefaults.agentJSON.replacingOccurrences(
        of: #"{"algorithm": "Squared", "coolOffTime": {"create": 30, "submit": 30, "job": 30}}"#,
        with: #"{"algorithm": "Linear", "coolOffTime": {"create": 0.05, "submit": 0.05, "job": 0.05}}"#)

    /// Opens an existing spool.
    init(root: String) throws {
        self.root = root
        spool = try Spool(root: root)
    }

    /// Makes a fresh spool with the built `wmagent init` in a temporary folder, with `agentJSON` and, when
    /// given, a fault plan (FaultPlan JSON) in the baggage of every job.
    static func fresh(_ label: String, faults: String? = nil) throws -> ProgramSpool {
        let root = TestSupport.temporaryDirectory(label) + "/spool"
        let made = try TestSupport.run(TestSupport.executable("wmagent"), ["init", root])
        guard made.status == 0 else { throw OperationsFailure("wmagent init \(root) exited \(made.status): \(made.stderr)") }
        #expect(agentJSON != EmbeddedDefaults.agentJSON, "the retry section of the embedded agent.json changed; update ProgramSpool")
        var configuration = agentJSON
        if let faults {
            configuration = configuration.replacingOccurrences(of: #""team": "production","#,
                                                               with: #""team": "production", "jobBaggage": {"faults": \#(faults)},"#)
        }
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: root + "/etc/agent.json"))
        return try ProgramSpool(root: root)
    }

    /// Runs a built program of this package on the spool to completion.
    @discardableResult
    func run(_ program: String, _ arguments: [String] = []) throws -> TestSupport.RunResult {
        try TestSupport.run(TestSupport.executable(program), arguments, environment: ["WM_SPOOL": root])
    }

    /// Runs `wmctl` in process on the spool.
    func wmctl(_ arguments: [String]) -> (status: Int32, output: Wmctl.Output) {
        let output = Wmctl.Output()
        return (Wmctl.run(["--spool", root] + arguments, environment: [:], stdin: { "" }, output: output), output)
    }

    /// Submits and assigns the example TaskChain with `events` events (200 per GEN-SIM job); returns its name.
    func submitExample(events: Int) throws -> String {
        let (status, output) = wmctl(["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                      "--set", "Task1.RequestNumEvents=\(events)"])
        guard status == 0 else { throw OperationsFailure("wmctl request submit exited \(status): \(output.stderr)") }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The request's status (`completed` at the end), read from `wmctl request show --json`.
    func requestStatus(_ name: String) -> String? {
        let (status, output) = wmctl(["request", "show", name, "--json"])
        guard status == 0, let object = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else { return nil }
        return object["status"] as? String
    }

    /// Jobs still in flight (what `wmctl pending` prints).
    func pendingJobs() throws -> Int { try Areas.activeJobCount(spool) }

    /// `wmctl fsck`'s findings other than orphaned temporary files (interrupted writes nothing refers to).
    func fsckFindings() throws -> [FsckFinding] {
        try SpoolInspector(spool: spool).fsck(repair: false).filter { $0.kind != "orphan-temporary" }
    }

    /// What the catalog holds, without names that differ from run to run (GUIDs, block names).
    func catalogContent() throws -> CatalogContent {
        let catalog = CatalogStore(spool: spool)
        var datasets: [CatalogContent.Dataset] = []
        for record in try catalog.datasetRecords() {
            guard let dataset = catalog.dataset(named: record.dataset) else { throw OperationsFailure("\(record.dataset) listed but unreadable") }
            let (status, output) = wmctl(["catalog", "events", record.dataset])
            guard status == 0 else { throw OperationsFailure("wmctl catalog events \(record.dataset) exited \(status): \(output.stderr)") }
            var lumis: Set<String> = []
            for file in dataset.files { for lumi in file.lumis { lumis.insert("\(lumi.run):\(lumi.lumi)") } }
            datasets.append(.init(name: record.dataset, parent: record.parent, files: dataset.files.count,
                                  events: dataset.files.reduce(0) { $0 + $1.events },
                                  eventsRead: output.stdout.split(separator: "\n").map(String.init).sorted(),
                                  lumis: lumis.sorted()))
        }
        return CatalogContent(datasets: datasets.sorted { $0.name < $1.name })
    }
}

/// A catalog's content: per dataset its counts, the events read back from storage and the lumis.
struct CatalogContent: Equatable, CustomStringConvertible {
    /// One dataset.
    struct Dataset: Equatable {
        var name: String
        var parent: String?
        var files: Int
        var events: Int
        /// Every event of the dataset's files as `run lumi event` lines read from storage, sorted.
        var eventsRead: [String]
        /// `run:lumi` of the dataset's files, sorted.
        var lumis: [String]
    }
    var datasets: [Dataset]

    var description: String {
        datasets.map { "\($0.name) files \($0.files) events \($0.events) read \($0.eventsRead.count) lumis \($0.lumis.count)" }
            .joined(separator: "; ")
    }

    /// Datasets whose events read from storage are not exactly `1...count` once each.
    func datasetsWithoutEveryEventOnce(count: Int) -> [String] {
        datasets.filter { dataset in
            let numbers = dataset.eventsRead.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
            return numbers.count != count || Set(numbers) != Set(1...count)
        }.map(\.name)
    }
}

/// The stage programs, as the operations tests start them.
enum OperationsPrograms {
    /// The example request.
    static let exampleRequest = TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json"

    /// The command line of the program that runs a `Pipeline` stage, by the stage's name.
    static func commandLine(ofStage name: String) -> [String] {
        if name.hasPrefix("wm-workqueue-local-") { return ["wm-workqueue", "local", "--agent", String(name.dropFirst("wm-workqueue-local-".count))] }
        return [name]
    }

    /// Every stage program of agent1 in pipeline order (the global queue twice, as the pipeline has it).
    static let pipeline: [[String]] = Pipeline.stages(agent: "agent1").map { commandLine(ofStage: $0.name) }

    /// Each stage program once (a cron table has one line per program).
    static var distinct: [[String]] { once(pipeline) }

    /// Each stage program of a Tier-0 spool once (the feeder first).
    static var distinctWithTier0: [[String]] { once(Pipeline.stages(agent: "agent1", tier0: true).map { commandLine(ofStage: $0.name) }) }

    private static func once(_ lines: [[String]]) -> [[String]] {
        var seen: Set<[String]> = []
        return lines.filter { seen.insert($0).inserted }
    }
}

/// A step of an operations test that did not go as expected, with what happened.
struct OperationsFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
