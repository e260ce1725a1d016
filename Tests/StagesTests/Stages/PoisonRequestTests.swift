import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 17, first step (numbers in requests): the exact poison requests of the issue are refused at
/// submission with exit 65 and a reason naming the field, what was found and what is allowed, so no later
/// stage can trap on them; the queue goes on staging the next request.
@Suite struct PoisonRequestTests {
    @Test(arguments: [
        ("FirstEvent=9223372036854775800", "FirstEvent"),
        ("Task1.RequestNumEvents=9223372036854775807", "RequestNumEvents"),
        ("FirstLumi=4294967296", "FirstLumi"),
        ("Task1.EventsPerJob=1000000000001", "EventsPerJob"),
    ])
    func oversizedNumbersAreRefusedAtSubmission(setting: String, field: String) throws {
        let f = try RequestFixture("poison")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", setting])
        #expect(code == 65, "\(setting): exit \(code): \(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains(field) && out.stderr.contains("≤"), "\(setting): \(out.stderr)")
        #expect(try f.spool.scan("reqmgr/assigned").names.isEmpty)

        // A good request behind it is staged as usual.
        let (good, goodOut) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(good == 0, "\(goodOut.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(try f.spool.scan("reqmgr/staged").names.count == 1)
    }

    /// The example makes 2000 events at 100 per lumi: 20 lumis, so FirstLumi 4,294,967,276 is the last at which they
    /// all have lumi numbers CMSSW can hold.
    @Test func theLargestAllowedNumbersStageWithoutATrap() throws {
        let f = try RequestFixture("poison-edge")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "FirstEvent=4294967295",
                                   "--set", "FirstLumi=4294967276"])
        #expect(code == 0, "\(out.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(try f.spool.scan("reqmgr/staged").names.count == 1)

        // One lumi more and the last one would be 4,294,967,296: refused, naming EventsPerLumi.
        let (past, pastOut) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "FirstLumi=4294967277"])
        #expect(past == 65 && pastOut.stderr.contains("EventsPerLumi") && pastOut.stderr.contains("20 lumis from FirstLumi 4294967277"),
                "exit \(past): \(pastOut.stderr)")
    }

    /// The issue's typo: RequestNumEvents 1e8 at EventsPerJob 200 would make 500,000 jobs, over the default ceiling of
    /// 100,000 per task: `wmctl request submit` refuses it (65) naming the field, and `wm-reqmgr` rejects the same
    /// submission dropped in `reqmgr/incoming/` with the same reason. Nothing is stored; a good request is staged after.
    @Test func theJobCeilingRefusesTheIssuesTypoAtSubmission() throws {
        let f = try RequestFixture("poison-ceiling")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "Task1.RequestNumEvents=100000000"])
        #expect(code == 65, "exit \(code): \(out.stdout)\(out.stderr)")
        for fragment in ["RequestNumEvents: found 100000000 events at EventsPerJob 200 in task", "not 500000 jobs",
                         "expected at most 100000 jobs per task (workQueue.maxJobsPerTask in etc/agent.json)"] {
            #expect(out.stderr.contains(fragment), "\(fragment): \(out.stderr)")
        }
        for status in RequestStatus.allCases { #expect(try f.spool.scan("reqmgr/\(status.rawValue)").names.isEmpty, "\(status)") }

        var submission = try EndToEndRequests.monteCarlo(events: 100_000_000, perJob: 200, perLumi: 100)
        submission.removeValue(forKey: "assignRequest")
        try JSONSerialization.data(withJSONObject: submission).write(to: URL(fileURLWithPath: f.spool.path("reqmgr/incoming/typo.json")))
        _ = try ReqMgrStage(makeManager: Wiring.requestManager).runCycle(f.context)
        let reason = try #require(try f.spool.read("typo.json.submission.reason", in: "reqmgr/rejected"))
        let text = String(decoding: reason, as: UTF8.self)
        #expect(text.contains("reqmgr/incoming/typo.json") && text.contains("RequestNumEvents") && text.contains("500000 jobs"), "\(text)")
        #expect(try f.spool.scan("reqmgr/new").names.isEmpty)

        let (good, goodOut) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(good == 0, "\(goodOut.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(try f.spool.scan("reqmgr/staged").names.count == 1)
    }

    /// The ceiling is `workQueue.maxJobsPerTask` in `etc/agent.json`: lowered to 5, the example (10 jobs) is refused at
    /// submission; a request accepted before the ceiling was lowered is failed by the global queue with the reason,
    /// and makes no element. A ceiling outside 1...10^9 is a configuration error naming the field.
    @Test func theCeilingIsConfiguredAndTheQueueAppliesItToo() throws {
        let f = try RequestFixture("poison-ceiling-config")
        let (accepted, acceptedOut) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(accepted == 0, "\(acceptedOut.stderr)")
        let name = acceptedOut.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createDirectory(atPath: f.spool.path("etc"), withIntermediateDirectories: true)
        try Data(#"{"workQueue": {"maxJobsPerTask": 5}}"#.utf8).write(to: URL(fileURLWithPath: f.spool.path("etc/agent.json")))

        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(code == 65 && out.stderr.contains("expected at most 5 jobs per task (workQueue.maxJobsPerTask in etc/agent.json), not 10 jobs"), "exit \(code): \(out.stderr)")

        _ = try GlobalWorkQueueStage().runCycle(f.context)
        let manager = Wiring.requestManager(f.spool, config: try f.context.agentConfiguration())
        #expect(manager.locate(name) == .failed)
        let failed = try manager.load(name, now: 0)
        #expect(failed.history.last?.reason.contains("field RequestNumEvents 2000 events at EventsPerJob 200: expected at most 5 jobs per task") == true, "\(failed.history)")
        #expect(try ElementStore(spool: f.spool).elements(ofRequest: name).isEmpty)

        for bad in ["0", "1000000001", "-3"] {
            try Data(#"{"workQueue": {"maxJobsPerTask": \#(bad)}}"#.utf8).write(to: URL(fileURLWithPath: f.spool.path("etc/agent.json")))
            #expect(throws: ConfigurationError.self) { try AgentConfiguration.load(path: f.spool.path("etc/agent.json")) }
            do { _ = try AgentConfiguration.load(path: f.spool.path("etc/agent.json")) } catch {
                #expect("\(error)".contains("workQueue.maxJobsPerTask") && "\(error)".contains("from 1 to 1000000000"), "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("Task1.FilterEfficiency=0.000000001", "Task1.FilterEfficiency"),
        ("Memory=1e300", "Memory"),
        ("TimePerEvent=1e300", "TimePerEvent"),
        ("RunWhitelist=4294967296", "RunWhitelist"),
        ("Task1.LumisPerJob=99999999999", "LumisPerJob"),
        ("UnmergedLFNBase=/store/unmerged/../../../tmp", "UnmergedLFNBase"),
        ("MergedLFNBase=/store//mc", "MergedLFNBase"),
    ])
    func otherUnboundedNumbersAndEscapingLFNBasesAreRefused(setting: String, field: String) throws {
        let f = try RequestFixture("poison-more")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "Task1.RequestNumEvents=1000000000000",
                                   "--set", setting])
        #expect(code == 65, "\(setting): exit \(code): \(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains(field), "\(setting): \(out.stderr)")
        #expect(try f.spool.scan("reqmgr/assigned").names.isEmpty)
    }

    /// After each refusal (the ceiling, the overflowing RequestNumEvents), a good request still runs through the whole
    /// agent to completed with every event once and a complete account.
    @Test func aGoodRequestCompletesAfterTheRefusals() throws {
        let agent = try EndToEndAgent("poison-then-good")
        defer { agent.killLeftovers() }
        let example = TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json"
        for setting in ["Task1.RequestNumEvents=100000000", "Task1.RequestNumEvents=9223372036854775807", "FirstEvent=9223372036854775800"] {
            let (code, out) = agent.wmctl(["request", "submit", example, "--assign", "--set", setting])
            #expect(code == 65, "\(setting): exit \(code): \(out.stderr)")
        }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 200, perLumi: 100, tasks: 1))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        let dataset = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
        #expect(try agent.events(in: dataset).sorted() == EndToEndAgent.monteCarloEvents(1...400, perLumi: 100))
        let account = try agent.account(of: name)
        #expect(account.verdict == .complete, "\(account.text)")
        agent.expectClean()
    }
}
