import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// wm-jobsubmitter and wm-jobtracker on the local plugin and a recording plugin.
@Suite struct ExecutionTests {
    @Test func defaultSitesAreTheProjectFileAndDecode() throws {
        let file = try String(contentsOfFile: TestSupport.packageRoot + "/etc/sites.json", encoding: .utf8)
        #expect(file.trimmingCharacters(in: .whitespacesAndNewlines) == SiteConfiguration.defaultJSON.trimmingCharacters(in: .whitespacesAndNewlines))
        let defaults = SiteConfiguration.defaults()
        #expect(defaults.sites.map(\.name).sorted() == ["T0_CH_CERN", "T1_US_FNAL", "T2_CH_CERN"])
        #expect(defaults.sites.allSatisfy { $0.compute.plugin == "local" })
        #expect(defaults.site(named: "T1_US_FNAL")?.pfn(forLFN: "/store/a.root", spoolRoot: "/s") == "/s/storage/T1_US_FNAL_Disk/store/a.root")
        #expect(throws: SiteConfigurationError.self) { try SiteConfiguration.decode(Array(#"{"schema":1,"sites":[{"name":"X"}]}"#.utf8), file: "x.json") }
    }

    @Test func jobRunsEndToEndOnTheLocalPlugin() throws {
        let fx = try ExecutionFixture("e2e-local", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("job1", sites: ["T2_CH_CERN"])
        let runjob = try fx.writeRunjob("echo payload-ran > \"$dir/output.txt\"\necho '<FrameworkJobReport/>' > \"$dir/Report.0.xml\"")
        let report = try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context())
        #expect(report.done == 1)
        let executing = try fx.job("job1", .executing)
        #expect(executing.batchID == "job1-0" && executing.site == "T2_CH_CERN" && executing.batchStatus == .pending)
        try fx.trackUntilDone("job1", tracker: JobTrackerStage())
        let done = try fx.job("job1", .complete)
        #expect(done.batchID == "job1-0")
        #expect(done.history.map(\.to) == ["created", "executing", "complete"])
        let dir = JobWorkDirectory(spool: fx.spool, job: done.body).path
        #expect(try String(contentsOfFile: dir + "/output.txt", encoding: .utf8) == "payload-ran\n")
        #expect(FileManager.default.fileExists(atPath: dir + "/job.json"))
    }

    @Test func finishedWithoutReportIs99303AndKilledProcessIs99400() throws {
        let fx = try ExecutionFixture("noreport", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("noreport", sites: ["T2_CH_CERN"])
        try fx.addJob("victim", sites: ["T2_CH_CERN"])
        let runjob = try fx.writeRunjob("case \"$WM_JOB\" in victim) exec sleep 60;; esac\necho no report")
        _ = try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context())
        let victim = try fx.job("victim", .executing)
        let dir = JobWorkDirectory(spool: fx.spool, job: victim.body).path
        var process: LocalProcess?
        for _ in 0..<50 where process == nil {
            if let text = try? String(contentsOfFile: dir + "/local-process", encoding: .utf8) {
                let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
                process = LocalProcess(pid: Int32(parts[0])!, startTime: UInt64(parts[1])!)
            } else { usleep(100_000) }
        }
        let victimProcess = try #require(process)
        #expect(victimProcess.isAlive)
        kill(-victimProcess.pid, SIGKILL)  // removed behind the system's back
        try fx.trackUntilDone("noreport", tracker: JobTrackerStage())
        try fx.trackUntilDone("victim", tracker: JobTrackerStage())
        #expect(try fx.job("noreport", .jobfailed).exitCodes == [99303])
        #expect(try fx.job("noreport", .jobfailed).history.last?.reason.contains("stdout tail: no report") == true)
        let failed = try fx.job("victim", .jobfailed)
        #expect(failed.exitCodes == [99400])
        #expect(failed.history.last?.reason.contains("without writing an exit code") == true)
    }

    @Test func hungPayloadIsKilledAfterItsTimeout() throws {
        let fx = try ExecutionFixture("hung", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("hung", sites: ["T2_CH_CERN"])
        let runjob = try fx.writeRunjob("exec sleep 60")
        _ = try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context())
        var timeouts = BatchStateTimeouts()
        timeouts.running = 1
        let tracker = JobTrackerStage(timeouts: timeouts)
        _ = try tracker.runCycle(fx.context())
        #expect(try fx.job("hung", .executing).batchStatus == .running)
        let dir = JobWorkDirectory(spool: fx.spool, job: try fx.job("hung", .executing).body).path
        let parts = try String(contentsOfFile: dir + "/local-process", encoding: .utf8).split(whereSeparator: { $0 == " " || $0 == "\n" })
        let process = LocalProcess(pid: Int32(parts[0])!, startTime: UInt64(parts[1])!)
        usleep(1_300_000)
        try fx.trackUntilDone("hung", tracker: tracker, seconds: 5)
        let failed = try fx.job("hung", .jobfailed)
        #expect(failed.exitCodes == [71304])
        #expect(failed.batchStatus == .timeout)
        usleep(200_000)
        LocalProcess.reapIfExited(process.pid)
        #expect(!process.isAlive, "the hung payload's process group was killed")
    }

    @Test func pendingAndErrorTimeoutsUseTheirCodes() throws {
        let fx = try ExecutionFixture("timeouts", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("stuck", sites: ["T2_CH_CERN"])
        try fx.addJob("lost", sites: ["T2_CH_CERN"])
        let plugin = RecordingPlugin()
        _ = try JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in plugin }).runCycle(fx.context())
        plugin.statuses["fake-lost-0"] = .unknown
        var timeouts = BatchStateTimeouts()
        timeouts.pending = 0.2
        timeouts.error = 0.2
        let tracker = JobTrackerStage(timeouts: timeouts, pluginFactory: { _ in plugin })
        _ = try tracker.runCycle(fx.context())
        usleep(300_000)
        _ = try tracker.runCycle(fx.context())
        #expect(try fx.job("stuck", .jobfailed).exitCodes == [71305])
        #expect(try fx.job("lost", .jobfailed).exitCodes == [71306])
        #expect(Set(plugin.killed) == ["fake-stuck-0", "fake-lost-0"])
    }

    @Test func thresholdsLimitPendingJobsPerSite() throws {
        let fx = try ExecutionFixture("thresholds", sites: [ExecutionFixture.localSite("T2_CH_CERN", pending: 2, running: 10)])
        for i in 0..<5 { try fx.addJob("j\(i)", sites: ["T2_CH_CERN"], priority: i) }
        let plugin = RecordingPlugin()
        let submitter = JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in plugin })
        _ = try submitter.runCycle(fx.context())
        #expect(try fx.names(.executing) == ["j3", "j4"], "the two highest priorities go first")
        _ = try submitter.runCycle(fx.context())
        #expect(try fx.names(.executing).count == 2, "still only 2 pending at the site")
        plugin.statuses["fake-j4-0"] = .running
        _ = try JobTrackerStage(pluginFactory: { _ in plugin }).runCycle(fx.context())
        _ = try submitter.runCycle(fx.context())
        #expect(try fx.names(.executing) == ["j2", "j3", "j4"], "a pending job started running, one more may wait")
        #expect(plugin.submitted.count == 3)
    }

    @Test func siteStatesBehaveAsResourceControl() throws {
        let now = SystemCall.now()
        let fx = try ExecutionFixture("sitestates", sites: [
            ExecutionFixture.localSite("T2_DOWN", state: .down), ExecutionFixture.localSite("T2_ABORTED", state: .aborted),
            ExecutionFixture.localSite("T2_DRAIN", state: .draining, stateTime: now),
            ExecutionFixture.localSite("T2_OLDDRAIN", state: .draining, stateTime: now - 3 * 86_400),
            ExecutionFixture.localSite("T2_OK"),
        ])
        try fx.addJob("down", sites: ["T2_DOWN"])
        try fx.addJob("aborted", sites: ["T2_ABORTED"])
        try fx.addJob("unknown", sites: ["T9_NOWHERE"])
        try fx.addJob("drainwait", sites: ["T2_DRAIN"])
        try fx.addJob("drainmerge", sites: ["T2_DRAIN"], taskType: "Merge")
        try fx.addJob("drainold", sites: ["T2_OLDDRAIN"])
        try fx.addJob("fallback", sites: ["T2_DOWN", "T2_DRAIN", "T2_OK"])
        let plugin = RecordingPlugin()
        _ = try JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in plugin }).runCycle(fx.context())
        #expect(try fx.names(.created) == ["drainwait"], "\(fx.log.text)")
        for name in ["down", "aborted", "unknown"] { #expect(try fx.job(name, .submitfailed).exitCodes == [71102]) }
        #expect(try fx.job("drainold", .submitfailed).exitCodes == [71103])
        #expect(try fx.job("drainmerge", .executing).site == "T2_DRAIN")
        #expect(try fx.job("fallback", .executing).site == "T2_OK")
        #expect(try fx.job("down", .submitfailed).history.last?.reason.contains("T2_DOWN=Down") == true)
    }

    @Test func submitterRecordsAnEarlierSubmissionInsteadOfSubmittingAgain() throws {
        let fx = try ExecutionFixture("idempotent", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("again", sites: ["T2_CH_CERN"])
        let plugin = RecordingPlugin()
        plugin.submitted = [BatchSubmission(key: "again-0", jobName: "again", workDirectory: "/x", arguments: ["/bin/true"])]
        _ = try JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in plugin }).runCycle(fx.context())
        #expect(plugin.submitted.count == 1)
        let doc = try fx.job("again", .executing)
        #expect(doc.batchID == "fake-again-0")
        #expect(doc.history.last?.reason.contains("earlier submission") == true)
    }
}

/// `wmctl site` verbs and changeSiteState.
@Suite struct ExecutionSiteCommandTests {
    @Test func setStateDownKillsPendingJobsBoundToTheSiteOnly() throws {
        let fx = try ExecutionFixture("wmctl-site", sites: [ExecutionFixture.localSite("T2_A", slots: 1), ExecutionFixture.localSite("T2_B")])
        try fx.addJob("a1", sites: ["T2_A"])
        try fx.addJob("a2", sites: ["T2_A"])
        try fx.addJob("both", sites: ["T2_A", "T2_B"])
        let runjob = try fx.writeRunjob("exec sleep 30")
        _ = try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context())
        // a1 runs in the only local slot at T2_A; a2 and both wait there (Pending).
        let output = Wmctl.Output()
        #expect(Wmctl.run(["--spool", fx.spool.root, "site", "set-state", "T2_A", "down"], environment: [:], output: output) == 0, "\(output.stderr)")
        #expect(try fx.job("a2", .jobfailed).exitCodes == [71303])
        #expect(try fx.names(.executing).contains("both"), "a job with another site is not killed")
        let listing = Wmctl.Output()
        #expect(Wmctl.run(["--spool", fx.spool.root, "site", "ls", "--json"], environment: [:], output: listing) == 0)
        #expect(listing.stdout.contains("\"Down\""))
        #expect(Wmctl.run(["--spool", fx.spool.root, "site", "set-slots", "T2_B", "3", "4", "Merge"], environment: [:], output: Wmctl.Output()) == 0)
        #expect(try ExecutionLayout.siteConfiguration(spool: fx.spool).site(named: "T2_B")?.taskSlots["Merge"] == SlotLimits(pendingSlots: 3, runningSlots: 4))
        #expect(Wmctl.run(["--spool", fx.spool.root, "site", "set-state", "T2_B", "Sleepy"], environment: [:], output: Wmctl.Output()) == 64)
        _ = try JobTrackerStage().runCycle(fx.context())
        try LocalBatchPlugin(spool: fx.spool, site: "T2_A", slots: 1).kill(["a1-0", "both-0"])
    }
}
