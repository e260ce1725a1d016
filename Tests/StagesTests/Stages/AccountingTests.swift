import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

@Suite struct AccountingTests {
    typealias F = AccountingFixture

    @Test func successRecordsOutputsForMergeCleanupAndLogCollect() throws {
        let f = try F("acct-success")
        let lfns = try f.completeJob("j1")
        let report = try AccountantStage().runCycle(f.context())
        #expect(report.done == 1)
        #expect(f.state(of: "j1") == .success)
        let job = try f.job("j1")
        #expect(job.exitCodes.isEmpty)
        #expect(job.lastRunTime == 100)
        let key = FileKey.of(lfns[0])
        // The unmerged output feeds both the Merge and the CleanupUnmerged subscription.
        #expect(try f.fileKeys(F.merge, .available) == [key])
        #expect(try f.fileKeys(F.cleanup, .available) == [key])
        let store = WMBSStore(spool: f.spool)
        let recorded = try #require(try store.files(f.workflow, F.merge, in: .available).first?.file)
        #expect(recorded.size == 1000 && recorded.events == 10 && !recorded.merged)
        #expect(recorded.locations == [f.pnn])
        #expect(recorded.runs == [FileRun(run: 1, lumis: [1, 2])])
        #expect(recorded.parents == ["/store/data/Era/PD/RAW/v1/000/j1.root"])
        // The log tarball feeds LogCollect; an unmerged file never goes to the DBS buffer.
        #expect(try f.fileKeys(F.logCollect, .available).count == 1)
        #expect(try f.spool.scan(AccountingAreas.dbsBufferFiles).names.isEmpty)
        // The LFN registry holds the owner; the accounting record is there.
        #expect(try LFNRegistry(spool: f.spool).owner(of: lfns[0], workflow: f.workflow) == "j1-0")
        let decoded = try #require(try AccountingRecords.read(spool: f.spool, workflow: f.workflow).first)
        #expect(decoded.peakRSS == 512.5 && decoded.jobTime == 95 && decoded.outcome == "success")
    }

    @Test func mergeJobOutputGoesToMergedFilesetAndDBSBuffer() throws {
        let f = try F("acct-merge")
        let lfns = try f.completeJob("m1", subscription: F.merge, outputs: [.init(module: "Merged", size: 4000, events: 40)])
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "m1") == .success)
        let buffered = try #require(try f.spool.read(FileKey.of(lfns[0]) + ".json", in: AccountingAreas.dbsBufferFiles))
        let file = try JSONDecoder().decode(DBSBufferFile.self, from: Data(buffered))
        #expect(file.status == .notUploaded && file.dataset == F.dataset && file.location == f.pnn)
        #expect(file.adler32 == "0000abcd" && file.cksum == "1234" && file.size == 4000)
        #expect(file.lumis.map(\.events) == [20, 20])
        #expect(file.parents == ["/store/data/Era/PD/RAW/v1/000/m1.root"])
    }

    @Test func straightToMergeMovesTheFileAndRecordsItMerged() throws {
        let f = try F("acct-s2m", minMergeSize: 1500)
        let lfns = try f.completeJob("big", outputs: [.init(size: 2000)])
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "big") == .success)
        let merged = try #require(OutputRules.mergedLFN(lfns[0], unmergedBase: F.unmergedBase, mergedBase: F.mergedBase))
        #expect(!SystemCall.exists(f.spool.path("storage/\(f.pnn)") + lfns[0]))
        #expect(SystemCall.exists(f.spool.path("storage/\(f.pnn)") + merged))
        #expect(try f.fileKeys(F.merge, .available).isEmpty)
        #expect(SystemCall.exists(f.spool.path(AccountingAreas.dbsBufferFiles) + "/" + FileKey.of(merged) + ".json"))
    }

    @Test func failureCodesComeFromTheReportOrItsAbsence() throws {
        let f = try F("acct-codes")
        try f.completeJob("missing", writeReport: false)
        try f.completeJob("empty", reportText: "")
        try f.completeJob("garbled", reportText: "<FrameworkJobReport><File>")
        try f.completeJob("cmssw", errorCode: 8001)
        try f.completeJob("notzero") { $0.wrapper.stepStatus = 1 }
        _ = try AccountantStage().runCycle(f.context())
        for (name, code) in [("missing", 99999), ("empty", 99998), ("garbled", 99997), ("cmssw", 8001), ("notzero", 1)] {
            #expect(f.state(of: name) == .jobfailed, "\(name)")
            #expect(try f.job(name).exitCodes == [code], "\(name)")
        }
        // A failed job records only its log tarball: nothing for the merge, the log for LogCollect.
        #expect(try f.fileKeys(F.merge, .available).isEmpty)
        #expect(try f.fileKeys(F.logCollect, .available).count == 2)
    }

    /// A hand copy of a finished job's document (found by the chaos test: `cp jobs/complete/X.json jobs/executing/`)
    /// reaches `jobs/complete` again after the original was accounted and archived, its work directory gone. Failed
    /// with 99999 it would be retried and run again, duplicating its events; it is set aside instead.
    @Test func copyOfAnAccountedJobWhoseReportIsGoneIsSetAsideNotFailed() throws {
        let f = try F("acct-copy")
        try f.completeJob("done")
        let copy = try #require(try f.spool.read("done.json", in: "jobs/complete"))
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "done") == .success)
        // The archiver cleans the work directory and takes the job to cleanout; then the copy arrives.
        try SystemCall.removeTree(JobWorkDirectory(spool: f.spool, workflow: f.workflow, job: "done", retry: 0).path)
        _ = try f.spool.move("done.json", from: "jobs/success", to: "jobs/cleanout")
        try f.spool.publish(copy, as: "done.json", in: "jobs/complete")
        let report = try AccountantStage().runCycle(f.context())
        #expect(report.quarantined == 1)
        #expect(!SystemCall.exists(f.spool.path("jobs/jobfailed/done.json")) && !SystemCall.exists(f.spool.path("jobs/complete/done.json")),
                "the copy left jobs/complete without becoming a failure")
        let reason = try String(decoding: #require(try f.spool.read("done.json.reason", in: "jobs/corrupt")), as: UTF8.self)
        #expect(reason.contains("already succeeded (attempt done-0 was accounted)") && reason.contains("second copy"))
        let records = try AccountingRecords.read(spool: f.spool, workflow: f.workflow).filter { $0.job == "done" }
        #expect(records.map(\.outcome) == ["success"], "no failure recorded, so nothing is retried")
        #expect(try ACDCStore(spool: f.spool).merged(workflow: f.workflow, task: "/wf/Proc") == nil)
        // A job that never succeeded and lost its report still fails with 99999.
        try f.completeJob("lost", writeReport: false)
        _ = try AccountantStage().runCycle(f.context())
        #expect(try f.job("lost").exitCodes == [99999])
    }

    @Test func moduleMismatchAndMissingLocationFailTheJob() throws {
        let f = try F("acct-mismatch")
        try f.completeJob("extra", outputs: [.init(), .init(module: "ALCARECOoutput")])
        try f.completeJob("none", outputs: [])
        try f.completeJob("nowhere", outputs: [.init(pfn: "/elsewhere/file.root")])
        try f.completeJob("nopnn", runtime: #"{"site": "T2_CH_CERN", "storagePrefix": "/mnt/x"}"#) { report in
            for i in report.outputFiles.indices { report.outputFiles[i].pfn = "/mnt/x" + report.outputFiles[i].lfn }
        }
        _ = try AccountantStage().runCycle(f.context())
        for name in ["extra", "none", "nowhere", "nopnn"] {
            #expect(f.state(of: name) == .jobfailed, "\(name)")
            #expect(try f.job(name).exitCodes == [AccountingFailure.inconsistentReportCode], "\(name)")
        }
        let reason = try f.job("extra").history.last?.reason ?? ""
        #expect(reason.contains("ALCARECOoutput") && reason.contains("do not match"))
        #expect(try f.job("nowhere").history.last?.reason.contains("has no location") == true)
        #expect(try f.fileKeys(F.merge, .available).isEmpty)
    }

    @Test func duplicateLFNIsRefusedAndNamesTheOwner() throws {
        let f = try F("acct-dup")
        let lfns = try f.completeJob("first")
        _ = try AccountantStage().runCycle(f.context())
        try f.completeJob("second", outputs: [.init(lfn: lfns[0])])
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "first") == .success)
        #expect(f.state(of: "second") == .jobfailed)
        let second = try f.job("second")
        #expect(second.exitCodes == [AccountingFailure.inconsistentReportCode])
        #expect(second.history.last?.reason.contains("already recorded by first-0") == true)
        #expect(try f.fileKeys(F.merge, .available).count == 1)
        // Two jobs of one batch claiming the same LFN: the first wins.
        try f.completeJob("a", outputs: [.init(lfn: "/store/unmerged/Era/PD/RECO/Proc-v1/00000/same.root")])
        try f.completeJob("b", outputs: [.init(lfn: "/store/unmerged/Era/PD/RECO/Proc-v1/00000/same.root")])
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "a") == .success && f.state(of: "b") == .jobfailed)
    }

    @Test func replayAfterKillBetweenPublishAndMoveIsIdempotent() throws {
        let f = try F("acct-replay", minMergeSize: 1500)
        let lfns = try f.completeJob("r1", outputs: [.init(size: 2000), .init(module: "RECOoutput", size: 10)],
                                     skipped: ["/store/data/Era/PD/RAW/v1/000/bad.root"])
        // Publish the effects (as the first commit does) without moving the job: a kill in between.
        let jobs = Areas.jobs(f.spool)
        guard case .document(let doc) = try jobs.load("r1", in: .complete) else { Issue.record("no job"); return }
        var planner = AccountingPlanner(spool: f.spool, now: f.clock.now)
        let plan = try #require(try planner.plan([doc])["r1"]?.get())
        try f.spool.inBatch { try OutputRecorder(spool: f.spool).record([plan], in: $0) }
        #expect(f.state(of: "r1") == .complete)
        let before = try snapshot(f)
        // The replay decides the same, finds everything recorded, and moves the job.
        _ = try AccountantStage().runCycle(f.context())
        #expect(f.state(of: "r1") == .success)
        #expect(try snapshot(f) == before)
        #expect(try f.fileKeys(F.merge, .available).count == 1)  // the small file; the big one went straight to merge
        #expect(try f.fileKeys(F.processing, .failed) == [FileKey.of("/store/data/Era/PD/RAW/v1/000/bad.root")])
        let acdcFolder = ACDCStore(spool: f.spool).folder(workflow: f.workflow, task: doc.task)
        let acdc = try #require(try f.spool.read("r1-0.json", in: acdcFolder))
        let record = try JSONDecoder().decode(ACDCRecord.self, from: Data(acdc))
        #expect(record.files.map(\.lfn) == ["/store/data/Era/PD/RAW/v1/000/bad.root"] && record.splittingAlgorithm == "FileBased")
        #expect(try ACDCStore(spool: f.spool).merged(workflow: f.workflow, task: doc.task)?.files.map(\.lfn) == record.files.map(\.lfn),
                "wmctl acdc ls and resubmissions see skipped inputs")
        #expect(lfns.count == 2)
    }

    /// Every file the accountant writes, by folder.
    func snapshot(_ f: F) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        let acdcFolders = (try? FileManager.default.contentsOfDirectory(atPath: f.spool.path(ACDCStore.area + "/" + f.workflow)))?
            .sorted().map { ACDCStore.area + "/" + f.workflow + "/" + $0 } ?? []
        for folder in [AccountingAreas.dbsBufferFiles, AccountingAreas.reports(f.workflow)] + acdcFolders + [
                       LFNRegistry(spool: f.spool).folder(f.workflow)]
            + FileState.allCases.flatMap({ s in [F.merge, F.cleanup, F.logCollect, F.processing].map { WMBSStore(spool: f.spool).fileFolder(f.workflow, $0, s) } }) {
            result[folder] = try f.spool.scan(folder).names
        }
        return result
    }

    @Test func batchesCommitTogetherWithDurability() throws {
        let f = try F("acct-batch", durability: .full)
        for i in 0..<7 { try f.completeJob("b\(i)") }
        let report = try AccountantStage().runCycle(f.context(batch: 3))
        #expect(report.done == 7)
        #expect((0..<7).allSatisfy { f.state(of: "b\($0)") == .success })
        let commits = f.lines.text.split(separator: "\n").filter { $0.contains("batch committed") }
        #expect(commits.count == 3)
        #expect(try f.fileKeys(F.merge, .available).count == 7)
    }
}
