import Foundation
import SpoolKit
@testable import Agent
@testable import Operator
import SpoolLayout
@testable import Stages
import TestSupport
import Testing
import WMCore

/// Issue 22, second slice: `wmagent run` writes the operations page after a pass, at most every
/// `--report-interval` seconds, and once more at the end; a page it cannot write never stops it.
@Suite struct AgentOperationsPageTests {
    /// A runner over `agent`'s stages writing the page at most every `interval` seconds; `times` collects the writes.
    final class Writes: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Double] = []
        func append(_ t: Double) { lock.lock(); list.append(t); lock.unlock() }
        var times: [Double] { lock.lock(); defer { lock.unlock() }; return list }
    }

    @Test func anAgentRunLeavesThePageWithTheRequestCompleted() throws {
        let agent = try EndToEndAgent("agent-page")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 200, perLumi: 100, tasks: 1))
        let writes = Writes()
        var runner = AgentRunner(stages: agent.stages(), stallTimeout: 60)
        runner.reportInterval = 3600
        runner.onPageWritten = writes.append
        _ = try runner.run(context: agent.context, watch: false)
        #expect(agent.status(of: name) == "completed")
        // The first pass writes it, the interval forbids another within the hour, and the end of the run writes it once more.
        #expect(writes.times.count == 2, "\(writes.times)")
        let html = try String(contentsOfFile: agent.spool.path(Layout.operationsPageFolder + "/" + Layout.operationsPageFile), encoding: .utf8)
        #expect(html.contains("<a class=\"name\" href=\"\(OperationsPage.requestFile(name))\">\(OperationsPage.escape(name))</a></td><td>completed</td>"),
                "the request's row says completed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: agent.spool.path(Layout.operationsPageFolder)).filter { !$0.hasPrefix(".") }.sorted()
                == [Layout.operationsPageFile, OperationsPage.requestsFolder])
    }

    @Test func theScheduleHonoursTheInterval() {
        var schedule = AgentRunner.PageSchedule(interval: 5)
        #expect(schedule.isDue(now: 100, final: false), "the first pass writes the page")
        schedule.written(at: 100)
        #expect(!schedule.isDue(now: 104.9, final: false) && schedule.isDue(now: 105, final: false))
        #expect(schedule.isDue(now: 101, final: true), "the end of the run writes it once more")
        let never = AgentRunner.PageSchedule(interval: 0)
        #expect(!never.isDue(now: 0, final: false) && !never.isDue(now: 1e9, final: true))
    }

    @Test func noIntervalWritesNoPageAndAFailedWriteNeverStopsTheAgent() throws {
        let agent = try EndToEndAgent("agent-page-off")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        var off = AgentRunner(stages: agent.stages(), stallTimeout: 60)
        off.onPageWritten = { _ in Issue.record("a page was written with no interval") }
        _ = try off.run(context: agent.context, watch: false)
        #expect(!SystemCall.exists(agent.spool.path(Layout.operationsPageFolder)))
        // `www` is a file: the page cannot be written; the run ends normally and logs why.
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: agent.spool.path(Layout.operationsPageFolder)))
        let second = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        var failing = AgentRunner(stages: agent.stages(), stallTimeout: 60)
        failing.reportInterval = 1
        _ = try failing.run(context: agent.context, watch: false)
        #expect(agent.status(of: name) == "completed" && agent.status(of: second) == "completed")
        #expect(agent.lines.text.contains("operations page not written"), "the failure is logged")
    }

    @Test func aNegativeIntervalIsAUsageError() throws {
        let root = TestSupport.temporaryDirectory("agent-page-usage")
        let made = try TestSupport.run(TestSupport.executable("wmagent"), ["init", root + "/spool"])
        try #require(made.status == 0, "\(made.stderr)")
        for value in ["-1", "abc"] {
            let run = try TestSupport.run(TestSupport.executable("wmagent"), ["run", "--once", "--spool", root + "/spool", "--report-interval", value])
            #expect(run.status == 64, "--report-interval \(value): \(run.status) \(run.stderr)")
        }
        #expect(!SystemCall.exists(root + "/spool/" + Layout.operationsPageFolder), "nothing ran")
    }
}
