import Foundation
@testable import Operator
@testable import SpoolLayout
import TestSupport
import Testing

/// Issue 8's health proof: `wmctl status` flags a stage that is stuck — a backlog and no progress for
/// a while — even when it runs every minute (alive is not healthy).
@Suite struct OperationsHealthTests {
    /// The stages' rows of `wmctl status --json --stuck-after S`, by stage name.
    func stageRows(_ spool: ProgramSpool, stuckAfter: Double) throws -> [String: [String: Any]] {
        let (status, output) = spool.wmctl(["status", "--json", "--stuck-after", String(stuckAfter)])
        #expect(status == 0, "\(output.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["stages"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["stage"] as? String ?? "?", $0) })
    }

    @Test func submitterWithEverySiteDrainingIsStuckThoughItKeepsRunning() throws {
        let spool = try ProgramSpool.fresh("health")
        _ = try spool.submitExample(events: 200)
        for line in OperationsPrograms.pipeline.prefix(4) {
            let result = try spool.run(line[0], Array(line.dropFirst()) + ["--once"])
            #expect(result.status == 0, "\(line): \(result.stderr)")
        }
        // Every site drains once the job exists: a GEN-SIM job waits in created/ for a Normal site (WMCore:
        // Down would fail it with 71102 at once; the local queue pulls no work while no site is Normal).
        for site in ["T2_CH_CERN", "T1_US_FNAL"] { #expect(spool.wmctl(["site", "set-state", site, "Draining"]).status == 0) }
        #expect(try spool.run("wm-jobsubmitter", ["--once"]).status == 0)
        #expect(try spool.spool.scan("jobs/created").names.count == 1, "one GEN-SIM job waits for a site")
        #expect(spool.wmctl(["pending"]).output.stdout == "1\n", "wmctl pending counts the waiting job")

        // Just ran, nothing moved yet: a backlog, and its stall clock starts with this run.
        var rows = try stageRows(spool, stuckAfter: 1)
        let first = try #require(rows["wm-jobsubmitter"])
        #expect(first["backlog"] as? Int == 1)
        let stallStart = try #require(first["lastProgress"] as? Double)

        // Cron runs it again and again; each run finds the same backlog and moves nothing.
        var lastRunStart = 0.0
        for _ in 0..<3 {
            usleep(500_000)
            lastRunStart = Date().timeIntervalSince1970
            #expect(try spool.run("wm-jobsubmitter", ["--once"]).status == 0)
        }
        rows = try stageRows(spool, stuckAfter: 1)
        let submitter = try #require(rows["wm-jobsubmitter"])
        #expect(submitter["lastProgress"] as? Double == stallStart, "the stall clock is not reset by a new run")
        #expect(try #require(submitter["lastCycle"] as? Double) >= lastRunStart, "alive: its last cycle is the last run")
        #expect(submitter["stuck"] as? Bool == true, "\(submitter)")
        #expect(rows.filter { $0.value["stuck"] as? Bool == true }.keys.sorted() == ["wm-jobsubmitter"], "only the submitter is stuck")
        let text = spool.wmctl(["status", "--stuck-after", "1"]).output.stdout
        #expect(text.contains("stage wm-jobsubmitter:") && text.contains("STUCK: backlog and no progress for"), "\(text)")
        // The default threshold (10 minutes) is not reached.
        #expect(try stageRows(spool, stuckAfter: Double(Wmctl.defaultStuckAfter))["wm-jobsubmitter"]?["stuck"] as? Bool == false)

        // A site comes back: the submitter moves the job on and is healthy again.
        #expect(spool.wmctl(["site", "set-state", "T2_CH_CERN", "Normal"]).status == 0)
        #expect(try spool.run("wm-jobsubmitter", ["--once"]).status == 0)
        rows = try stageRows(spool, stuckAfter: 1)
        #expect(rows["wm-jobsubmitter"]?["stuck"] as? Bool == false)
        #expect(rows["wm-jobsubmitter"]?["backlog"] as? Int == 0)
    }

    @Test func stuckNeedsBothABacklogAndNoProgress() {
        let health = StageHealth(stage: "wm-x", pid: 1, lastCycle: 1_000, lastProgress: 100, itemsDone: 0, backlog: 3)
        #expect(Wmctl.isStuck(health, now: 1_000, threshold: 600))
        #expect(!Wmctl.isStuck(health, now: 1_000, threshold: 900))
        var drained = health
        drained.backlog = 0
        #expect(!Wmctl.isStuck(drained, now: 1_000, threshold: 600))
    }
}
