import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// A spool with the example configurations in its config cache.
struct RequestFixture {
    let base: JobSpoolFixture
    var spool: Spool { base.spool }
    var context: StageContext { base.context }

    init(_ label: String, config: String? = nil) throws {
        base = try JobSpoolFixture(label, config: config)
        let configs = TestSupport.packageRoot + "/etc/examples/configs"
        for file in try FileManager.default.contentsOfDirectory(atPath: configs).sorted() {
            _ = try ConfigCacheStore(spool: base.spool).add(FileManager.default.contents(atPath: configs + "/" + file)!, source: file)
        }
    }

    func wmctl(_ args: [String]) -> (Int32, Wmctl.Output) {
        let output = Wmctl.Output()
        return (Wmctl.run(["--spool", spool.root] + args, environment: [:], stdin: { "" }, output: output), output)
    }

    var example: String { TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json" }
}

@Suite struct RequestFlowTests {
    @Test func exampleTaskChainBecomesElementsSubscriptionsAndJobs() throws {
        let f = try RequestFixture("flow")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(code == 0, "\(out.stderr)")
        let name = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name.hasPrefix("demo_TaskChain_MC_demo_"))
        #expect(FileManager.default.fileExists(atPath: f.spool.path("reqmgr/assigned/\(name).json")))

        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(FileManager.default.fileExists(atPath: f.spool.path("reqmgr/staged/\(name).json")))
        let elements = try ElementStore(spool: f.spool).elements(ofRequest: name)
        #expect(elements.count == 1)
        #expect(elements.first?.jobs == 10, "2000 events at 200 per job")

        _ = try LocalWorkQueueStage(agent: "agent1").runCycle(f.context)
        let running = try ElementStore(spool: f.spool).elements(ofRequest: name)
        #expect(running.map(\.state) == [.running])
        let wmbs = WMBSStore(spool: f.spool)
        let subscriptions = try wmbs.subscriptions(of: name)
        let tasks = Set(subscriptions.map(\.taskType))
        #expect(tasks.isSuperset(of: ["Production", "Processing", "Merge", "Cleanup", "LogCollect"]))
        #expect(wmbs.isInjected(name))

        let report = try JobCreatorStage().runCycle(f.context)
        #expect(report.done == 10)
        let created = try f.spool.scan("jobs/created").names
        #expect(created.count == 10)
        guard case .document(let job) = try Areas.jobs(f.spool).load(String(created[0].dropLast(5)), in: .created) else {
            Issue.record("no job"); return
        }
        #expect(job.taskType == "Production")
        #expect(job.mask.lastEvent! - job.mask.firstEvent! + 1 == 200)
        #expect(Set(job.possibleSites) == ["T2_CH_CERN", "T1_US_FNAL"])
        #expect(job.priority == 90000)
        #expect(job.outputs["RAWSIMoutput"]?.dataset == "/DemoMinBias/Demo2026-demo-v1/GEN-SIM")

        // The global queue follows: the element is Running, so the request is running-open.
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        let (_, shown) = f.wmctl(["request", "show", name, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as! [String: Any]
        #expect(object["status"] as? String == "running-open")
        #expect((object["elements"] as? [[String: Any]])?.first?["jobs"] as? Int == 10)
    }

    @Test func badSubmissionsAreRejectedWithEveryReason() throws {
        let f = try RequestFixture("reject")
        var request = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.example))) as! [String: Any]
        var create = request["createRequest"] as! [String: Any]
        create.removeValue(forKey: "CMSSWVersion")
        create["Bogus"] = 1
        create["RequestPriority"] = 1_000_000
        create["Memory"] = "lots"
        request["createRequest"] = create
        let file = TestSupport.temporaryDirectory("req") + "/bad.json"
        try JSONSerialization.data(withJSONObject: request).write(to: URL(fileURLWithPath: file))
        let (code, out) = f.wmctl(["request", "submit", file])
        #expect(code == 65)
        for field in ["CMSSWVersion", "Bogus", "RequestPriority", "Memory"] { #expect(out.stderr.contains(field), "\(field) named") }
        #expect(try f.spool.scan("reqmgr/new").names.isEmpty, "nothing stored")

        // The same file dropped into incoming/ ends in rejected/ with the reasons.
        try f.spool.ensureDirectories([RequestManager.incoming])
        try FileManager.default.copyItem(atPath: file, toPath: f.spool.path(RequestManager.incoming) + "/bad.json")
        let manager = Wiring.requestManager(f.spool, config: .standard)
        let report = try ReqMgrStage(makeManager: { _, _ in manager }).runCycle(f.context)
        #expect(report.quarantined == 1)
        let reason = try String(contentsOfFile: f.spool.path("reqmgr/rejected/bad.json.submission.reason"), encoding: .utf8)
        #expect(reason.contains("CMSSWVersion") && reason.contains("Bogus"))
        #expect(FileManager.default.fileExists(atPath: f.spool.path("reqmgr/rejected/bad.json.submission")))
    }

    @Test func incomingSubmissionIsAcceptedOnceAndIllegalMovesQuarantined() throws {
        let f = try RequestFixture("incoming")
        try f.spool.ensureDirectories([RequestManager.incoming])
        try FileManager.default.copyItem(atPath: f.example, toPath: f.spool.path(RequestManager.incoming) + "/any name.json")
        let manager = Wiring.requestManager(f.spool, config: .standard)
        _ = try ReqMgrStage(makeManager: { _, _ in manager }).runCycle(f.context)
        let names = try f.spool.scan("reqmgr/new").names
        try #require(names.count == 1)
        #expect(try f.spool.scan(RequestManager.incoming).names.isEmpty)
        // An operator moves new/ → completed/ by hand: illegal, quarantined with both states named.
        _ = try f.spool.move(names[0], from: "reqmgr/new", to: "reqmgr/completed")
        let (code, _) = f.wmctl(["fsck", "--repair"])
        #expect(code == 0)
        let reason = try String(contentsOfFile: f.spool.path("reqmgr/corrupt/\(names[0]).reason"), encoding: .utf8)
        #expect(reason.contains("new → completed"))
    }
}
