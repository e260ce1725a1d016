import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

@Suite struct JobCreatorTests {
    @Test func filesBecomeJobsWithEverythingTheLaterStagesNeed() throws {
        let f = try WMBSFixture("jc-basic")
        let sub = WMBSFixture.subscription("Skim", type: "Skim", algorithm: .fileBased, parameters: ["files_per_job": 3])
        try f.subscribe(sub)
        // Even files at CERN, odd at FNAL: two location groups, CERN first (seen first).
        try f.add(WMBSFixture.files(7, location: { $0 % 2 == 0 ? ["T2_CH_CERN"] : ["T1_US_FNAL_Disk"] }), to: sub.inputFileset)
        let report = try f.runCycle()
        #expect(report.done == 3)

        let jobs = try f.jobs(in: .created)
        #expect(jobs.count == 3)
        let key = WMBSStore.workflowKey(f.workflow)
        #expect(jobs.map(\.name) == (1...3).map { "\(key)-Skim-00000\($0)" })
        let lfn = { (i: Int) in "/store/data/Era/PD/RAW/v1/file0000\(i).root" }
        #expect(jobs.map { $0.inputFiles.map(\.lfn) } == [[lfn(0), lfn(2), lfn(4)], [lfn(6)], [lfn(1), lfn(3), lfn(5)]])
        #expect(jobs.map(\.possibleSites) == [["T2_CH_CERN"], ["T2_CH_CERN"], ["T1_US_FNAL"]])
        for (i, job) in jobs.enumerated() {
            let events = Double(job.inputFiles.count * 300)
            #expect(job.estimatedTime == events * 2, "time = events × timePerEvent")
            #expect(job.estimatedDisk == events * 50, "disk = events × sizePerEvent")
            #expect(job.estimatedMemory == 2500)
            #expect(job.priority == 3 * 10_000_000 + 120_000, "Skim priority 3 × 10^7 + request priority")
            #expect(job.baggage["lfnCounter"] == .int(i + 1))
            #expect(job.baggage["eventsPerLumi"] == .int(100), "the subscription's baggage is copied")
            #expect(job.outputs["RECOoutput"]?.dataTier == "RECO")
            #expect(job.workflow == f.workflow && job.task == "/Req_Test/Skim" && job.taskType == "Skim" && job.subscription == "Skim")
            #expect(job.history.map(\.to) == ["created"] && job.history[0].actor == "wm-jobcreator")
            #expect(job.exitCodes.isEmpty && job.retryCount == 0)
        }
        #expect(try f.fileKeys("Skim", .available).isEmpty)
        #expect(try f.fileKeys("Skim", .acquired).count == 7)

        // Nothing left: a second cycle makes nothing.
        #expect(try f.runCycle().done == 0)
        #expect(try f.jobs(in: .created).count == 3)

        // Files added later make new jobs numbered after the old ones (FNAL's file is seen first now).
        try f.add(Array(WMBSFixture.files(9, location: { $0 % 2 == 0 ? ["T2_CH_CERN"] : ["T1_US_FNAL_Disk"] })[7...]), to: sub.inputFileset)
        #expect(try f.runCycle().done == 2)
        let more = try f.jobs(in: .created)
        #expect(more.count == 5)
        #expect(more[3].inputFiles.map(\.lfn) == [lfn(7)] && more[3].possibleSites == ["T1_US_FNAL"])
        #expect(more[4].inputFiles.map(\.lfn) == [lfn(8)] && more[4].baggage["lfnCounter"] == .int(5))
        #expect(try f.fileKeys("Skim", .acquired).count == 9)
    }

    @Test func noSiteGives71101AndSiteListsApply() throws {
        let f = try WMBSFixture("jc-sites")
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 1],
                                           whitelist: ["T2_CH_CERN", "T1_US_FNAL"], blacklist: ["T1_US_FNAL"])
        try f.subscribe(sub)
        try f.add(WMBSFixture.files(4, location: { $0 < 2 ? ["T2_CH_CERN", "T2_DE_DESY"] : ["T1_US_FNAL_Disk"] }), to: sub.inputFileset)
        #expect(try f.runCycle().done == 4)
        let created = try f.jobs(in: .created)
        let failed = try f.jobs(in: .createfailed)
        #expect(created.count == 2 && failed.count == 2)
        #expect(created.allSatisfy { $0.possibleSites == ["T2_CH_CERN"] }, "PSNs ∩ whitelist − blacklist")
        for job in failed {
            #expect(job.exitCodes == [71101])
            #expect(job.possibleSites.isEmpty)
            #expect(job.history.map(\.to) == ["created", "createfailed"], "new → created → createfailed")
            #expect(job.history.last?.reason.hasPrefix("71101") == true)
        }
        #expect(try f.fileKeys("Proc", .acquired).count == 4, "a createfailed job's files are acquired too")

        // trustSitelists: the site lists alone decide, whatever the data location.
        let trusted = WMBSFixture.subscription("Trust", algorithm: .fileBased, parameters: ["files_per_job": 10],
                                               whitelist: ["T2_DE_DESY", "T2_CH_CERN", "T3_US_X"], blacklist: ["T2_CH_CERN"], trust: true)
        try f.subscribe(trusted)
        try f.add(WMBSFixture.files(4, location: { $0 < 2 ? ["T2_CH_CERN"] : ["T1_US_FNAL_Disk"] }, prefix: "/store/t"), to: trusted.inputFileset)
        try f.runCycle()
        let trustJobs = try f.jobs(in: .created).filter { $0.subscription == "Trust" }
        #expect(trustJobs.count == 1, "one location group AAA")
        #expect(trustJobs.first?.possibleSites == ["T2_DE_DESY", "T3_US_X"])
    }

    @Test func aLumiTooLongForTheJobTimeLimitGives99305() throws {
        let f = try WMBSFixture("jc-99305")
        let sub = WMBSFixture.subscription("EA", algorithm: .eventAwareLumiBased,
                                           parameters: ["events_per_job": 250, "job_time_limit": 1000])
        try f.subscribe(sub, open: false)
        var files = WMBSFixture.files(2)
        // One lumi of 600 events × 2 s = 1200 s > 1000 s.
        files.append(SplitFile(lfn: "/store/data/Era/PD/RAW/v1/slow.root", size: 10, events: 600, locations: ["T2_CH_CERN"],
                               runs: [FileRun(run: 1, lumis: [7])]))
        try f.add(files, to: sub.inputFileset)
        try f.runCycle()
        let failed = try f.jobs(in: .createfailed)
        #expect(failed.count == 1)
        #expect(failed.first?.exitCodes == [99305])
        #expect(failed.first?.inputFiles.map(\.lfn) == ["/store/data/Era/PD/RAW/v1/slow.root"])
        #expect(failed.first?.history.last?.reason.hasPrefix("99305") == true)
        let created = try f.jobs(in: .created)
        #expect(!created.isEmpty)
        #expect(!created.contains { $0.inputFiles.contains { $0.lfn.hasSuffix("slow.root") } })
        #expect(try f.fileKeys("EA", .acquired).count == 3)
    }

    @Test func monteCarloProductionMakesEventBasedJobs() throws {
        let f = try WMBSFixture("jc-mc")
        var sub = WMBSFixture.subscription("GenSim", type: "Production", algorithm: .eventBased,
                                           parameters: ["events_per_job": 150, "events_per_lumi": 50],
                                           whitelist: ["T2_CH_CERN", "T1_US_FNAL"], blacklist: ["T1_US_FNAL"])
        sub.outputs = [:]
        try f.subscribe(sub, open: false)
        let fake = SplitFile(lfn: "MCFakeFile-\(sub.inputFileset)", events: 1000, firstEvent: 1, lastEvent: 1000, locations: [],
                             runs: [FileRun(run: 1, lumis: Array(1...20))])
        try f.add([fake], to: sub.inputFileset)
        #expect(try f.runCycle().done == 7)
        let jobs = try f.jobs(in: .created)
        #expect(jobs.count == 7)
        for (k, job) in jobs.enumerated() {
            let events = k == 6 ? 100 : 150
            #expect(job.mask.firstEvent == 1 + 150 * k && job.mask.lastEvent == 150 * k + events)
            #expect(job.mask.firstLumi == 1 + 3 * k)
            #expect(job.mask.lastLumi == (k == 6 ? 20 : 3 * k + 3), "the last job's lumis are ceil(100/50)")
            #expect(job.mask.firstRun == 1 && job.mask.lastRun == 1)
            #expect(job.possibleSites == ["T2_CH_CERN"], "no location: whitelist − blacklist")
            #expect(job.estimatedTime == Double(events) * 2 && job.estimatedDisk == Double(events) * 50)
            #expect(job.priority == 120_000)
            #expect(job.baggage["lheInputFiles"] == .bool(false) && job.baggage["lfnCounter"] == .int(k + 1))
            #expect(job.inputFiles.map(\.lfn) == [fake.lfn])
        }
        #expect(try f.fileKeys("GenSim", .acquired).count == 1)
    }

    @Test func openFilesetsHoldPartialWorkUntilClosed() throws {
        let f = try WMBSFixture("jc-open")
        let lumi = WMBSFixture.subscription("Lumi", algorithm: .lumiBased, parameters: ["lumis_per_job": 10])
        let minFile = WMBSFixture.subscription("MinFile", algorithm: .minFileBased, parameters: ["files_per_job": 3])
        try f.subscribe(lumi)
        try f.subscribe(minFile)
        try f.add(WMBSFixture.files(2), to: lumi.inputFileset)  // 6 lumis < 10
        try f.add(WMBSFixture.files(5, prefix: "/store/m"), to: minFile.inputFileset)  // one full job of 3, 2 wait
        try f.runCycle()
        var jobs = try f.jobs(in: .created)
        #expect(!jobs.contains { $0.subscription == "Lumi" }, "fewer lumis than one job: wait while open")
        #expect(jobs.filter { $0.subscription == "MinFile" }.map(\.inputFiles.count) == [3])
        #expect(try f.fileKeys("Lumi", .available).count == 2)
        #expect(try f.fileKeys("MinFile", .available).count == 2)
        #expect(try f.runCycle().done == 0, "still open: nothing more")

        try f.close(lumi.inputFileset)
        try f.close(minFile.inputFileset)
        try f.runCycle()
        jobs = try f.jobs(in: .created)
        let lumiJobs = jobs.filter { $0.subscription == "Lumi" }
        #expect(lumiJobs.count == 1)
        #expect(lumiJobs.first?.mask.runAndLumis == [RunLumiRanges(run: 1, ranges: [[1, 3], [4, 6]])])
        #expect(jobs.filter { $0.subscription == "MinFile" }.map(\.inputFiles.count) == [3, 2])
        #expect(try f.fileKeys("Lumi", .available).isEmpty && f.fileKeys("MinFile", .available).isEmpty)
    }

    @Test func dryRunChangesNothing() throws {
        let f = try WMBSFixture("jc-dry")
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 2])
        try f.subscribe(sub)
        try f.add(WMBSFixture.files(4), to: sub.inputFileset)
        var context = f.base.context
        context.options.dryRun = true
        #expect(try JobCreatorStage().runCycle(context).done == 0)
        #expect(try f.jobs(in: .created).isEmpty)
        #expect(try f.fileKeys("Proc", .available).count == 4)
        #expect(f.base.lines.text.contains("would create jobs"))
    }

    @Test func aHalfDoneJobGroupIsFinishedOnceOnReplay() throws {
        let f = try WMBSFixture("jc-replay")
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 2])
        try f.subscribe(sub)
        try f.add(WMBSFixture.files(10), to: sub.inputFileset)
        try f.runCycle()
        let before = try f.jobs(in: .created).map(\.name)
        #expect(before.count == 5)
        // Rewind to the state a crash leaves mid-group: record pending, some files not yet moved, some jobs not yet published.
        let groups = f.store.subscriptionFolder(f.workflow, "Proc") + "/jobgroups"
        let record = try #require(try f.spool.scan(groups + "/done").names.first)
        let slim = try #require(try f.store.readJSON(JobGroupRecord.self, record, in: groups + "/done"))
        #expect(slim.jobs.isEmpty && slim.fileKeys.count == 10, "the done record keeps file keys, not the jobs")
        // The pending record as it was before the crash: every job in full.
        let full = JobGroupRecord(name: slim.name, subscription: slim.subscription, fileKeys: slim.fileKeys,
                                  failedFileKeys: slim.failedFileKeys, jobs: try f.jobs(in: .created))
        try FileManager.default.removeItem(atPath: f.spool.path(groups + "/done/" + record))
        try f.spool.publish(try WMBSStore.encode(full), as: record, in: groups + "/pending")
        // The commit got as far as the first three jobs' acquired documents: the input bundle is still whole.
        let acquired = f.store.fileFolder(f.workflow, "Proc", .acquired)
        #expect(try f.spool.scan(acquired).names == before.map(WMBSStore.jobBundleName))
        for name in before.suffix(2) {
            try FileManager.default.removeItem(atPath: f.spool.path(acquired + "/" + WMBSStore.jobBundleName(name)))
            try FileManager.default.removeItem(atPath: f.spool.path("jobs/created/\(name).json"))
        }
        try f.spool.publish(WMBSStore.encodeFiles(WMBSFixture.files(10)), as: "b-input.json", in: f.store.fileFolder(f.workflow, "Proc", .available))

        try f.runCycle()
        #expect(try f.jobs(in: .created).map(\.name) == before, "the same jobs, none twice, none new")
        #expect(try f.fileKeys("Proc", .available).isEmpty && f.fileKeys("Proc", .acquired).count == 10)
        #expect(try f.store.documents(f.workflow, "Proc", in: .acquired).map(\.files.count) == [2, 2, 2, 2, 2], "each file once")
        #expect(try f.spool.scan(groups + "/pending").names.isEmpty)
        #expect(try f.spool.scan(groups + "/done").names == [record])
        #expect(try f.spool.scan("jobs/corrupt").names.isEmpty, "no publish conflicts")
    }
}
