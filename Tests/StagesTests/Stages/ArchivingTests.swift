import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

@Suite struct ArchivingTests {
    typealias F = AccountingFixture

    /// Moves every available file document of a subscription to completed, as its jobs would.
    func complete(_ f: F, _ subscription: String) throws {
        let store = WMBSStore(spool: f.spool)
        let available = store.fileFolder(f.workflow, subscription, .available)
        try f.spool.inBatch { batch in
            for name in try f.spool.scan(available).names {
                _ = try batch.move(name, from: available, to: store.fileFolder(f.workflow, subscription, .completed))
            }
        }
    }

    func fileset(_ f: F, _ name: String) throws -> Fileset {
        try #require(try WMBSStore(spool: f.spool).fileset(f.workflow, name))
    }

    @Test func jobArchiverTakesAtMostJobsPerCycleAndTheNextCycleTheRest() throws {
        let f = try F("arch-bounded")
        try f.completeJob("wf-Proc-000001")
        try f.completeJob("wf-Proc-000002")
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "wf-Proc-000001") == .success && f.state(of: "wf-Proc-000002") == .success)
        let first = try JobArchiverStage(jobsPerCycle: 1).runCycle(f.context())
        #expect(first.jobsFinished == 1 && first.backlog == 1, "\(first)")
        #expect(f.state(of: "wf-Proc-000001") == nil && f.state(of: "wf-Proc-000002") == .success)
        let second = try JobArchiverStage(jobsPerCycle: 1).runCycle(f.context())
        #expect(second.jobsFinished == 1 && f.state(of: "wf-Proc-000002") == nil)
        #expect(Set(try f.spool.scan(JobArchiverStage.dayFolder(f.clock.now)).names) == ["wf-Proc-000001.json", "wf-Proc-000002.json"])
    }

    @Test func jobArchiverCleansOutAndClosesFilesetsThenTaskArchiverClosesTheWorkflow() throws {
        let f = try F("arch-flow")
        let store = WMBSStore(spool: f.spool)
        var top = try fileset(f, "wf-Proc")
        top.open = false
        try f.spool.inBatch { try store.save(top, workflow: f.workflow, in: $0) }
        let requests = DocumentArea<RequestBody>(spool: f.spool, area: "reqmgr", schemaVersion: requestSchemaVersion)
        try requests.ensureFolders()
        var request = Annotated(RequestBody(name: f.workflow, arguments: RequestArguments(["RequestType": .string("ReReco")]), at: 0))
        for status in [RequestStatus.assignmentApproved, .assigned, .staging, .staged, .acquired, .runningOpen] {
            try request.transition(to: status, actor: "t", reason: "", at: 0)
        }
        try f.spool.publish(try requests.encode(request), as: "wf.json", in: requests.folder(.runningOpen))

        try f.completeJob("wf-Proc-000001", retry: 1)
        try f.completeJob("wf-Proc-000002", errorCode: 8001)
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "wf-Proc-000001") == .success)
        // The failed job is exhausted (as the error handler would leave it after its retries).
        var failed = try f.job("wf-Proc-000002")
        try failed.transition(to: .retrydone, actor: "t", reason: "", at: 0)
        try failed.transition(to: .exhausted, actor: "t", reason: "", at: 0)
        try f.spool.inBatch { _ = try $0.moveReplacingContent("wf-Proc-000002.json", from: "jobs/jobfailed", to: "jobs/exhausted",
                                                              with: try f.jobs.encode(failed)) }

        _ = try JobArchiverStage().runCycle(f.context())
        #expect(f.state(of: "wf-Proc-000001") == nil && f.state(of: "wf-Proc-000002") == nil)
        let day = JobArchiverStage.dayFolder(f.clock.now)
        #expect(Set(try f.spool.scan(day).names) == ["wf-Proc-000001.json", "wf-Proc-000002.json"])
        let tar = f.spool.path("archive/logs/w/wf/JobCluster_0/Job_wf-Proc-000001.tar.gz")
        #expect(SystemCall.exists(tar))
        let listing = try TestSupport.run("/usr/bin/tar", ["-tzf", tar])
        #expect(listing.stdout.contains("wf-Proc-000001-1/Report.1.xml"))
        #expect(!SystemCall.exists(f.spool.path("work/wf/wf-Proc-000001-1")))
        #expect(try f.fileKeys(F.processing, .completed).count == 1)
        #expect(try f.fileKeys(F.processing, .failed).count == 1)
        // Producers idle and parent closed: the unmerged and log filesets close; the merged one waits for the merge.
        #expect(try !fileset(f, F.unmergedFileset).open)
        #expect(try !fileset(f, F.logFileset).open)
        #expect(try fileset(f, F.mergedFileset).open)

        _ = try TaskArchiverStage().runCycle(f.context())
        #expect(SystemCall.isDirectory(f.spool.path("wmbs/wf")))  // the merge, cleanup and log collect still have work
        for sub in [F.merge, F.cleanup, F.logCollect] { try complete(f, sub) }
        _ = try JobArchiverStage().runCycle(f.context())
        #expect(try !fileset(f, F.mergedFileset).open)
        let report = try TaskArchiverStage().runCycle(f.context())
        #expect(report.done == 1)
        #expect(!SystemCall.exists(f.spool.path("wmbs/wf")))
        #expect(SystemCall.exists(f.spool.path(AccountingAreas.dbsBufferCompleted) + "/wf"))
        #expect(SystemCall.exists(f.spool.path("reqmgr/completed/wf.json")))
        let summaryBytes = try #require(try f.spool.read("wf.json", in: TaskArchiverStage.summaries))
        let summary = try JSONDecoder().decode(WorkflowSummary.self, from: Data(summaryBytes))
        #expect(summary.jobs == ["success": 1, "jobfailed": 1])
        #expect(summary.errors["/wf/Proc"]?["cmsRun1"]?["8001"]?.errors == 1)
        #expect(summary.errors["/wf/Proc"]?["cmsRun1"]?["8001"]?.logs.count == 1)
        #expect(summary.retryData["/wf/Proc"] == ["1": 1])
        #expect(summary.performance["/wf/Proc"]?.peakRSS?.average == 512.5)
        let text = String(decoding: try #require(try f.spool.read("wf.txt", in: TaskArchiverStage.summaries)), as: UTF8.self)
        #expect(text.contains("exit 8001: 1 failure(s)"))
    }

    @Test func histogramKeepsValuesWithinFiveSigma() throws {
        let values = (0..<100).map { (job: "j\($0)", value: Double($0 % 10)) } + [(job: "outlier", value: 1e6)]
        let h = try #require(WorkflowSummary.histogram(values))
        #expect(h.count == 101 && h.outliers == 1)
        #expect(h.bins.count == 10 && h.bins.reduce(0) { $0 + $1.count } == 100)
        #expect(h.worst.first?.job == "outlier")
    }
}
