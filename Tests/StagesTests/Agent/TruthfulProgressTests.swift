import Foundation
import SpoolKit
@testable import Agent
@testable import Operator
@testable import Stages
import TestSupport
import Testing
import WMCore

/// Issue 17, truthful progress and health: the live view counts real progress and never interleaves with
/// log lines; STUCK means a backlog that should move and doesn't; a request that cannot progress says why.
@Suite struct TruthfulProgressTests {
    /// A terminal stand-in: everything the view writes, in order.
    final class Screen: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes = ""
        func append(_ text: String) { lock.lock(); bytes += text; lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return bytes }
    }

    @Test func liveViewCountsArchivedJobsOfAllKnownJobs() {
        let pass = AgentRunner.PassSummary(done: [:], activeJobs: 3, elapsed: 10, jobsFinished: 6, eventsRecorded: 1_200)
        let counts = ["jobs": ["executing": 2, "created": 1, "cleanout": 1, "corrupt": 5], "workqueue": ["Running": 1]]
        let lines = LiveView.lines(pass, counts: counts)
        // 6 archived + 4 in jobs/ (corrupt documents are not jobs in flight); 0.6 jobs/s; 4 left → 7 s.
        #expect(lines[0].contains("jobs done 6 of 10 (60%)"), "\(lines[0])")
        #expect(lines[0].contains("0.6 jobs/s") && lines[0].contains("ETA 7 s") && lines[0].contains("events merged 1200"), "\(lines[0])")
        // While elements wait to be split the total can only grow: no ETA.
        let splitting = LiveView.lines(pass, counts: counts.merging(["workqueue": ["Available": 2]]) { $1 })
        #expect(splitting[0].contains("ETA - (2 element(s) still to split)"), "\(splitting[0])")
    }

    @Test func logLinesArePrintedAboveTheViewNeverThroughIt() throws {
        let spool = try Spool(root: TestSupport.temporaryDirectory("liveview"), durability: .none)
        let screen = Screen()
        let view = LiveView(spool: spool, isTerminal: true, write: screen.append)
        view.show(AgentRunner.PassSummary(done: [:], activeJobs: 0, elapsed: 1), force: true)
        let drawn = screen.text
        #expect(drawn.contains("jobs done 0 of 0"))
        view.printAbove("2026-12-05T00:00:00Z info wm-x hello")
        let after = String(screen.text.dropFirst(drawn.count))
        // Erase the 4 view lines (cursor up 4, clear to the end), the log line, then the view again below it.
        #expect(after.hasPrefix("\u{1B}[4A\u{1B}[0J2026-12-05T00:00:00Z info wm-x hello\n"), "\(after.debugDescription)")
        #expect(after.hasSuffix(drawn), "the view is drawn again below the log line")
    }

    @Test func aFinishedRunCountsEveryArchivedJobAndEveryMergedEvent() throws {
        let agent = try EndToEndAgent("liveview-run")
        _ = try agent.submit(try EndToEndRequests.monteCarlo(events: 600, perJob: 200, perLumi: 100, tasks: 1))
        var last: AgentRunner.PassSummary?
        var runner = AgentRunner(stages: agent.stages(), stallTimeout: 60)
        runner.onPass = { last = $0 }
        _ = try runner.run(context: agent.context, watch: false)
        let summary = try #require(last)
        let archived = try FileManager.default.subpathsOfDirectory(atPath: agent.spool.path("archive/jobs")).filter { $0.hasSuffix(".json") }
        #expect(summary.jobsFinished == archived.count && archived.count >= 3, "\(summary.jobsFinished) vs \(archived.count) archived")
        #expect(summary.eventsRecorded == 600, "one GEN-SIM dataset of 600 events merged")
        let lines = LiveView.lines(summary, counts: try SpoolInspector(spool: agent.spool).counts())
        #expect(lines[0].contains("jobs done \(archived.count) of \(archived.count) (100%)") && lines[0].contains("ETA 0 s"), "\(lines[0])")
    }

    @Test func rejectedAndAbortedRequestsWaitingToBeArchivedAreNotABacklog() throws {
        let spool = try ProgramSpool.fresh("stuck-reject")
        let aborted = try spool.submitExample(events: 200)
        #expect(spool.wmctl(["request", "abort", aborted]).status == 0)
        let (code, output) = spool.wmctl(["request", "submit", OperationsPrograms.exampleRequest])
        #expect(code == 0, "\(output.stderr)")
        let rejected = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(spool.wmctl(["request", "reject", rejected]).status == 0, "a new request may be rejected")
        #expect(try spool.run("wm-reqmgr", ["--once"]).status == 0)
        #expect(try spool.run("wm-workqueue", ["--once"]).status == 0)
        let status = spool.wmctl(["status", "--stuck-after", "0"]).output.stdout
        #expect(!status.contains("STUCK"), "\(status)")
        #expect(status.contains("stage wm-reqmgr:") && status.contains("backlog 0"), "\(status)")
    }

    @Test func aRunningWorkflowIsNotTheTaskArchiversBacklog() throws {
        let agent = try EndToEndAgent("stuck-taskarchiver")
        _ = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        for stage in agent.stages() where !(stage is TaskArchiverStage) && !(stage is JobSubmitterStage) {
            _ = try stage.runCycle(agent.context)
        }
        let report = try TaskArchiverStage().runCycle(agent.context)
        #expect(report.backlog == 0 && report.done == 0, "the workflow runs: nothing for the task archiver to do yet")
    }

    @Test func aRequestForASiteNobodyKnowsIsFlaggedWithTheReason() throws {
        let spool = try ProgramSpool.fresh("unknown-site")
        let (code, output) = spool.wmctl(["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                          "--set", "Task1.RequestNumEvents=200", "--set", "SiteWhitelist=T2_XX_Nowhere"])
        #expect(code == 0, "\(output.stderr)")
        let name = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for program in ["wm-reqmgr", "wm-workqueue"] { #expect(try spool.run(program, ["--once"]).status == 0) }
        #expect(try spool.run("wm-workqueue", ["local", "--agent", "agent1", "--once"]).status == 0)
        let status = spool.wmctl(["status"]).output.stdout
        #expect(status.contains("ALERT request \(name): cannot progress: element"), "\(status)")
        #expect(status.contains("SiteWhitelist names site(s) the agent does not know: T2_XX_Nowhere"), "\(status)")
        let json = spool.wmctl(["status", "--json"]).output.stdout
        #expect(json.contains("cannot progress"), "\(json)")
        let show = spool.wmctl(["request", "show", name]).output.stdout
        #expect(show.contains("BLOCKED: element") && show.contains("T2_XX_Nowhere"), "\(show)")

        // Every known site drained: the same request for a known site says which states keep it.
        let (code2, output2) = spool.wmctl(["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                            "--set", "Task1.RequestNumEvents=200", "--set", "SiteWhitelist=T2_CH_CERN"])
        #expect(code2 == 0, "\(output2.stderr)")
        #expect(spool.wmctl(["site", "set-state", "T2_CH_CERN", "Draining"]).status == 0)
        for program in ["wm-reqmgr", "wm-workqueue"] { #expect(try spool.run(program, ["--once"]).status == 0) }
        let drained = spool.wmctl(["status"]).output.stdout
        #expect(drained.contains("none of its sites is Normal: T2_CH_CERN Draining"), "\(drained)")
    }
}
