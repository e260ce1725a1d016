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

/// Issue 21, in process: central and agent spools, what lives where, and the global queue taking work back from a
/// silent agent (fence, invalidation of its uploads, reset of its elements).
@Suite struct CentralSpoolTests {
    /// A central spool with agents `a1` and `a2`, the request example staged on it (`elements` elements).
    struct Fixture {
        let base: String
        let central: Spool
        let a1: Spool
        let a2: Spool
        let request: String

        init(_ label: String, events: Int = 2000) throws {
            base = TestSupport.temporaryDirectory(label)
            try AgentSpool.initialize(central: base + "/central", agentSpool: base + "/a1", agent: "a1")
            try AgentSpool.initialize(central: base + "/central", agentSpool: base + "/a2", agent: "a2")
            central = try Spool(root: base + "/central", durability: .none)
            a1 = try Spool(root: base + "/a1", durability: .none)
            a2 = try Spool(root: base + "/a2", durability: .none)
            try Data(#"{"workQueue": {"agentTimeout": 60, "maxJobsPerElement": 5}}"#.utf8).write(to: URL(fileURLWithPath: central.path("etc/agent.json")))
            let output = Wmctl.Output()
            let status = Wmctl.run(["--spool", a1.root, "request", "submit", TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json", "--assign",
                                    "--set", "Task1.RequestNumEvents=\(events)"], environment: [:], stdin: { "" }, output: output)
            try #require(status == 0, "submit through an agent's spool: \(output.stderr)")
            request = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try GlobalWorkQueueStage().runCycle(Self.context(central))
        }

        static func context(_ spool: Spool, now: Double = WallClock.now()) -> StageContext {
            var options = StageOptions(environment: [:])
            options.spoolPath = spool.root
            return StageContext(spool: spool, options: options, log: Logger(component: "test", sink: { _ in }), now: { now })
        }
    }

    @Test func centralAreasLiveInTheCentralSpoolWhicheverSpoolAProgramIsGiven() throws {
        let f = try Fixture("central-areas")
        // The request submitted through a1's spool is in the central one; a1 has no requests, elements or catalog of its own.
        #expect(FileManager.default.fileExists(atPath: f.central.path("reqmgr/staged/\(f.request).json")))
        #expect(!FileManager.default.fileExists(atPath: f.a1.path("reqmgr")))
        #expect(try ElementStore(spool: f.a1).elements(ofRequest: f.request).count == 2, "10 jobs, 5 per element")
        #expect(ElementStore(spool: f.a1).spool.root == f.central.root && CatalogStore(spool: f.a2).spool.root == f.central.root)
        #expect(SpoolRoles.role(of: f.a1) == .agent(name: "a1", centralRoot: f.central.root))
        #expect(SpoolRoles.role(of: f.central) == .central)
        // The stages that belong elsewhere refuse, saying where to go; nothing happens.
        #expect(throws: CommandFailure.self) { try StageRunner.run(JobCreatorStage(), context: Fixture.context(f.central)) }
        #expect(throws: CommandFailure.self) { try StageRunner.run(GlobalWorkQueueStage(), context: Fixture.context(f.a1)) }
        #expect(Pipeline.stages(agent: "a1", role: .central).map(\.name) == ["wm-reqmgr", "wm-workqueue", "wm-workqueue"])
        #expect(!Pipeline.stages(agent: "a1", role: SpoolRoles.role(of: f.a1)).contains { $0.placement == .central })
        // An agent's local queue runs as the agent its spool names.
        #expect(try SpoolRoles.agentName(of: f.a1, requested: nil) { "agent1" } == "a1")
        #expect(throws: CommandFailure.self) { try SpoolRoles.agentName(of: f.a1, requested: "a2") { "agent1" } }
        // Each agent's sites write to the storage every agent and the central spool read.
        let sites = try ExecutionLayout.siteConfiguration(spool: f.a2)
        #expect(sites.sites.allSatisfy { $0.pfn(forLFN: "/store/x", spoolRoot: f.a2.root) == f.central.path("storage/\($0.storageElement)/store/x") })
    }

    @Test func roleDocumentsAndInitAreCheckedStrictly() throws {
        let base = TestSupport.temporaryDirectory("roles")
        let spool = try Spool(root: base + "/s")
        try spool.ensureDirectories(["etc"])
        let cases: [(String, String)] = [
            (#"{"role": "agent", "agent": "a1"}"#, "central"),
            (#"{"role": "agent", "agent": "../x", "central": "/tmp"}"#, "agent"),
            (#"{"role": "agent", "agent": "a1", "central": "relative/path"}"#, "central"),
            (#"{"role": "central", "extra": 1}"#, "extra"),
            (#"{"role": "satellite"}"#, "role"),
            (#"{"role": 7}"#, "role"),
            ("not json", ""),
        ]
        for (text, field) in cases {
            let error = #expect(throws: ConfigurationError.self) { try SpoolRoles.parse(Array(text.utf8), path: "etc/spool.json") }
            #expect(error?.field == field, "\(text): \(error?.description ?? "")")
        }
        // An agent whose central spool is gone is an error naming it (66), not an all-in-one spool.
        try Data(#"{"role": "agent", "agent": "a1", "central": "/nonexistent/central"}"#.utf8).write(to: URL(fileURLWithPath: spool.path("etc/spool.json")))
        let missing = #expect(throws: CommandFailure.self) { try ProgramInputs.existingSpool(spool.root, program: "test") }
        #expect(missing?.code == .noInput && missing?.message.contains("/nonexistent/central") == true)
        // Names are checked, an agent name is one spool's, and an all-in-one spool never becomes an agent's.
        #expect(throws: CommandFailure.self) { try AgentSpool.initialize(central: base + "/c", agentSpool: base + "/x", agent: "a/b") }
        try AgentSpool.initialize(central: base + "/c", agentSpool: base + "/a", agent: "a")
        let taken = #expect(throws: CommandFailure.self) { try AgentSpool.initialize(central: base + "/c", agentSpool: base + "/b", agent: "a") }
        #expect(taken?.code == .usage)
        try AgentSpool.initialize(at: base + "/plain")
        let plain = #expect(throws: CommandFailure.self) { try AgentSpool.initialize(central: base + "/c", agentSpool: base + "/plain", agent: "p") }
        #expect(plain?.code == .cantCreate)
        #expect(try AgentSpool.initialize(central: base + "/c", agentSpool: base + "/a", agent: "a").isEmpty, "a second init adds nothing")
    }

    @Test func aSilentAgentsWorkGoesBackAndWhatItUploadedIsInvalidated() throws {
        let f = try Fixture("take-back")
        let now = WallClock.now()
        _ = try LocalWorkQueueStage(agent: "a1").runCycle(Fixture.context(f.a1, now: now))
        let held = try ElementStore(spool: f.central).elements(ofRequest: f.request)
        #expect(held.count == 2 && held.allSatisfy { $0.state == .running && $0.agent == "a1" }, "\(held.map { "\($0.state) \($0.agent ?? "-")" })")
        #expect(StageHealth.read(stage: "wm-workqueue-local-a1", spool: f.central) != nil, "a1's heartbeat is in the central spool")
        // a1 uploaded one block of the request (its origin recorded first, as wm-dbsupload does on an agent's spool).
        let name = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM#0f5e7a4c-1111-2222-3333-444455556666"
        let block = CatalogBlock(name: name, locations: ["T1_US_FNAL_Disk"], files: [
            CatalogFile(lfn: "/store/mc/Demo2026/DemoMinBias/GEN-SIM/demo-v1/0000/a.root", size: 10, events: 100, adler32: "00000001", cksum: "1",
                        lumis: [LumiSection(run: 1, lumi: 1, events: 100)]),
        ])
        let bulk = BulkBlock(block: block, context: BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_14_0_0", outputModuleLabel: "RAWSIMoutput", globalTag: "GT"),
                                                                  processingVersion: 1, acquisitionEra: "Demo2026", primaryDatasetType: "mc", creationDate: 0))
        let ledger = AgentLedger(spool: f.a1)
        try ledger.recordOrigin(agent: "a1", request: f.request, block: name)
        try CatalogStore(spool: f.a1).insert(bulk)
        #expect(try AgentLedger(spool: f.central).originBlocks(request: f.request) == [name])
        // And recorded a failed job's work in ACDC (in the central spool, under its name).
        let failed = ACDCRecord(workflow: f.request, task: "/\(f.request)/GenSim", splittingAlgorithm: "EventBased",
                                files: [ACDCFile(lfn: "MCFakeFile-x", events: 200, lumis: [LumiSection(run: 1, lumi: 1)])])
        try f.a1.inBatch { try ACDCStore(spool: f.a1).add(failed, name: "job-0", in: $0) }
        #expect(try ACDCStore(spool: f.central).records(workflow: f.request).count == 1)

        // Before the timeout nothing moves; after it, a1 is fenced, its block invalidated and its elements Available.
        var report = try GlobalWorkQueueStage().takeBackFromSilentAgents(store: ElementStore(spool: f.central), timeout: 60,
                                                                         context: Fixture.context(f.central, now: now + 30))
        #expect(report.done == 0)
        report = try GlobalWorkQueueStage().takeBackFromSilentAgents(store: ElementStore(spool: f.central), timeout: 60,
                                                                     context: Fixture.context(f.central, now: now + 120))
        #expect(report.done == 2)
        #expect(ledger.isFenced(agent: "a1", request: f.request))
        #expect(try ACDCStore(spool: f.central).records(workflow: f.request).isEmpty, "a1's ACDC records of the request are withdrawn")
        #expect(FileManager.default.fileExists(atPath: f.central.path("archive/acdc-withdrawn/a1/\(f.request)/\(FileKey.of("/\(f.request)/GenSim"))/a1@job-0.json")))
        #expect(CatalogStore(spool: f.central).dataset(named: "/DemoMinBias/Demo2026-demo-v1/GEN-SIM")?.files.allSatisfy { !$0.isValid } == true)
        let back = try ElementStore(spool: f.central).elements(ofRequest: f.request)
        #expect(back.allSatisfy { $0.state == .available && $0.agent == nil && $0.history.last?.reason.contains("agent 'a1' silent") == true })

        // a1, back, never pulls the request again; a2 takes it.
        _ = try LocalWorkQueueStage(agent: "a1").runCycle(Fixture.context(f.a1, now: now + 121))
        #expect(try ElementStore(spool: f.central).elements(ofRequest: f.request).allSatisfy { $0.state == .available })
        _ = try LocalWorkQueueStage(agent: "a2").runCycle(Fixture.context(f.a2, now: now + 122))
        #expect(try ElementStore(spool: f.central).elements(ofRequest: f.request).allSatisfy { $0.state == .running && $0.agent == "a2" })
        // The account of the request counts no invalidated file.
        let outputs = try RequestAccounting(spool: f.central).catalogOutputLumis(request: f.request, onlyOwn: false,
                                                                                 datasets: ["/DemoMinBias/Demo2026-demo-v1/GEN-SIM"])
        #expect(outputs.isEmpty, "\(outputs)")
    }

    @Test func completionReportsMarkOnlyTheReportingAgentsElementsDone() throws {
        let f = try Fixture("completions")
        let now = WallClock.now()
        _ = try LocalWorkQueueStage(agent: "a1").runCycle(Fixture.context(f.a1, now: now))
        let elements = try ElementStore(spool: f.central).elements(ofRequest: f.request).map(\.name).sorted()
        let ledger = AgentLedger(spool: f.a1)
        let block = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM#0f5e7a4c-1111-2222-3333-444455556666"
        try ledger.recordOrigin(agent: "a1", request: f.request, block: block)
        // a2 claims a1's elements in a report: nothing happens to them (a report is its agent's only).
        try ledger.submit(AgentLedger.CompletionReport(agent: "a2", request: f.request, elements: elements, blocks: [], time: now))
        try ledger.submit(AgentLedger.CompletionReport(agent: "a1", request: f.request, elements: [elements[0]], blocks: [FileKey.of(block)], time: now))
        // A report that lies about where it is goes to corrupt/ with its reason.
        try f.central.ensureDirectories(["workqueue/completions/a2"])
        try Data(#"{"agent": "a1", "request": "other", "elements": [], "blocks": [], "time": 0}"#.utf8)
            .write(to: URL(fileURLWithPath: f.central.path("workqueue/completions/a2/other.json")))
        let report = try GlobalWorkQueueStage().applyCompletions(store: ElementStore(spool: f.central), context: Fixture.context(f.central, now: now))
        #expect(report.done == 1 && report.quarantined == 1)
        let after = Dictionary(uniqueKeysWithValues: try ElementStore(spool: f.central).elements(ofRequest: f.request).map { ($0.name, $0.state) })
        #expect(after[elements[0]] == .done && after[elements[1]] == .running)
        #expect(try ledger.unreportedOrigins(agent: "a1", request: f.request).isEmpty)
        #expect(try ledger.originBlocks(request: f.request) == [block], "a reported block still counts as the request's")
        #expect(try ledger.pendingCompletions().isEmpty, "applied reports are filed in archive/completions/")
        #expect(FileManager.default.fileExists(atPath: f.central.path("workqueue/completions/corrupt/other.json.reason")))
    }
}
