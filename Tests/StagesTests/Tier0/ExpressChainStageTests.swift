import DynamicJSON
import Foundation
import JobSplitting
import SpoolKit
import Testing
import TestSupport
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// The job creator's side of the Express chain and of RepackMerge (§A.6): a periodic DQM harvest fires once per
/// interval (not on every cycle with new files), a Condition subscription records its payloads for upload and the
/// upload stand-in completes them (`wmctl t0 conditions` lists them), and RepackMerge counts the lumis of Repack
/// outputs that went straight to merge as used.
@Suite struct ExpressChainStageTests {
    /// A file of run 7 covering `lumis`, inserted at `time`.
    static func file(_ name: String, lumis: [Int], size: Int = 100, at time: Double = 1_000_000) -> SplitFile {
        SplitFile(lfn: "/store/t0/\(name).root", size: size, events: 10, locations: ["T2_CH_CERN"], runs: [FileRun(run: 7, lumis: lumis)],
                  insertTime: time)
    }

    // MARK: periodic DQM harvest

    /// The job creator's plan for `sub` at `now`: the LFNs of each job.
    static func planned(_ fixture: WMBSFixture, _ sub: Subscription, now: Double) throws -> [[String]] {
        let plan = try JobCreatorStage.plan(store: fixture.store, workflow: fixture.workflow, subscription: sub, now: now)
        return (plan?.outcome.groups ?? []).flatMap(\.jobs).map { $0.inputFiles.map(\.lfn) }
    }

    /// Ends `job` as the archiver would: its marker discarded, its document in `jobs/cleanout/` entered at `time`.
    static func cleanOut(_ job: JobDocument, at time: Double, _ fixture: WMBSFixture) throws {
        var done = job
        for state in [JobState.executing, .complete, .success, .cleanout] { try done.transition(to: state, actor: "test", reason: "test", at: time) }
        let jobs = fixture.base.jobs
        try fixture.spool.publish(try jobs.encode(done), as: jobs.fileName(job.name), in: jobs.folder(.cleanout))
        try SystemCall.unlink(fixture.spool.path(jobs.folder(.created) + "/" + jobs.fileName(job.name)))
        let marker = JobMarkers(spool: fixture.spool).marker(of: job.body)
        try fixture.spool.inBatch { $0.discard(marker.name, in: marker.directory) }
    }

    @Test func periodicHarvestFiresAtOnceThenOnlyOnceTheLastJobEndedMoreThanTheIntervalAgo() throws {
        let fixture = try WMBSFixture("t0periodic")
        let sub = WMBSFixture.subscription("DQMHarvestPeriodic", type: "Harvesting", algorithm: .harvest,
                                           parameters: ["periodic_harvest_interval": .int(600), "dqmHarvestUnit": .string("byRun")])
        try fixture.subscribe(sub)
        let clock = fixture.base.clock
        try fixture.add([Self.file("dqm1", lumis: [1])], to: sub.inputFileset)
        #expect(try Self.planned(fixture, sub, now: clock.now) == [["/store/t0/dqm1.root"]], "the first harvest at once")
        try fixture.runCycle()
        let first = try #require(try fixture.jobs(in: .created).first)

        // New files while the first job runs: no second harvest, however late.
        try fixture.add([Self.file("dqm2", lumis: [2])], to: sub.inputFileset)
        #expect(try Self.planned(fixture, sub, now: clock.now + 10) == [])
        #expect(try Self.planned(fixture, sub, now: clock.now + 100_000) == [], "a running harvest holds the next one")
        try fixture.runCycle()
        #expect(try fixture.jobs(in: .created).count == 1)

        // The job ends at t: nothing until t + interval, then one job over the files available.
        let ended = clock.now + 50
        try Self.cleanOut(first, at: ended, fixture)
        #expect(try Self.planned(fixture, sub, now: ended + 300) == [])
        #expect(try Self.planned(fixture, sub, now: ended + 600) == [], "more than the interval")
        #expect(try Self.planned(fixture, sub, now: ended + 601) == [["/store/t0/dqm2.root"]])

        // Once archived (archive/jobs/<day>/) it is still found, the day before today's included.
        let jobs = fixture.base.jobs
        let day = JobArchiverStage.dayFolder(ended)
        try fixture.spool.ensureDirectories([day])
        #expect(try fixture.spool.move(jobs.fileName(first.name), from: jobs.folder(.cleanout), to: day) == .moved)
        #expect(try Self.planned(fixture, sub, now: ended + 300) == [])
        #expect(try Self.planned(fixture, sub, now: ended + 601) == [["/store/t0/dqm2.root"]])
        #expect(try HarvestJobHistory.read(store: fixture.store, workflow: fixture.workflow, subscription: sub.name,
                                           now: ended + 86_400 + 1, lookback: 86_400 + 100)
                == HarvestJobHistory(inProgress: false, lastFinished: ended), "a window over two days finds it")

        // The second harvest job is made at ended + 601 and holds the third.
        clock.advance(ended + 601 - clock.now)
        try fixture.runCycle()
        #expect(try fixture.jobs(in: .created).map { $0.inputFiles.map(\.lfn) } == [["/store/t0/dqm2.root"]])
        try fixture.add([Self.file("dqm3", lumis: [3])], to: sub.inputFileset)
        #expect(try Self.planned(fixture, sub, now: clock.now + 5_000) == [])
    }

    @Test func endOfRunHarvestIsUnchangedByTheHistory() throws {
        let fixture = try WMBSFixture("t0endofrun")
        let sub = WMBSFixture.subscription("DQMHarvestEndOfRun", type: "Harvesting", algorithm: .harvest,
                                           parameters: ["periodic_harvest_interval": .int(0)])
        try fixture.subscribe(sub)
        try fixture.add([Self.file("dqm1", lumis: [1])], to: sub.inputFileset)
        #expect(try Self.planned(fixture, sub, now: fixture.base.clock.now) == [], "open fileset: no end-of-run harvest")
        try fixture.close(sub.inputFileset)
        #expect(try Self.planned(fixture, sub, now: fixture.base.clock.now) == [["/store/t0/dqm1.root"]])
    }

    // MARK: Condition

    @Test func conditionRecordsPayloadsAcquiresThemAndTheUploadStandInCompletesThem() throws {
        let fixture = try WMBSFixture("t0condition", workflow: "Express_Run7_StreamExpress")
        var sub = WMBSFixture.subscription("Condition", type: "Harvesting", algorithm: .harvest, parameters: [:])
        sub.algorithm = "Condition"
        sub.workflow = fixture.workflow
        try fixture.subscribe(sub)
        let clock = fixture.base.clock
        try fixture.add([Self.file("payload1", lumis: [3, 1, 2]), Self.file("payload2", lumis: [4])], to: sub.inputFileset)
        let recordedAt = clock.now
        try fixture.runCycle()
        #expect(try fixture.jobs(in: .created).isEmpty, "Condition makes no jobs")
        #expect(try fixture.fileKeys(sub.name, .available).isEmpty)
        #expect(try fixture.fileKeys(sub.name, .acquired).count == 2)
        let store = Tier0ConditionStore(spool: fixture.spool)
        let records = try store.records()
        #expect(records.map(\.lfn) == ["/store/t0/payload1.root", "/store/t0/payload2.root"])
        #expect(records.first?.lumis == [1, 2, 3] && records.allSatisfy { $0.run == 7 && $0.uploaded == nil && $0.recorded == recordedAt })
        #expect(records.allSatisfy { $0.workflow == fixture.workflow && $0.subscription == "Condition" && $0.locations == ["T2_CH_CERN"] })

        // wmctl t0 conditions before the upload
        var (code, text) = try Self.wmctl(["t0", "conditions", "--spool", fixture.spool.root])
        #expect(code == 0)
        #expect(text == """
            run 7  /store/t0/payload1.root  lumis 1-3  recorded 1970-01-12T13:46:40Z  waiting for upload
            run 7  /store/t0/payload2.root  lumis 4  recorded 1970-01-12T13:46:40Z  waiting for upload

            """)

        clock.advance(30)
        try fixture.runCycle()
        #expect(try fixture.fileKeys(sub.name, .acquired).isEmpty)
        #expect(try fixture.fileKeys(sub.name, .completed).count == 2, "the upload stand-in completes them")
        #expect(try store.records().allSatisfy { $0.uploaded == recordedAt + 30 && $0.recorded == recordedAt })
        try fixture.runCycle()
        #expect(try store.records().allSatisfy { $0.uploaded == recordedAt + 30 }, "uploaded once")

        (code, text) = try Self.wmctl(["t0", "conditions", "--spool", fixture.spool.root, "--run", "7", "--json"])
        #expect(code == 0)
        let rows = try #require(try JSONValue.parse(Array(text.utf8)).arrayValue)
        #expect(rows.compactMap { $0.objectValue?["lfn"]?.stringValue } == ["/store/t0/payload1.root", "/store/t0/payload2.root"])
        #expect(rows.allSatisfy { $0.objectValue?["uploaded"]?.doubleValue == recordedAt + 30 && $0.objectValue?["run"]?.intValue == 7 })
        #expect(rows.first?.objectValue?["lumis"]?.arrayValue?.compactMap(\.intValue) == [1, 2, 3])
        (code, text) = try Self.wmctl(["t0", "conditions", "--spool", fixture.spool.root, "--run", "8"])
        #expect(code == 0 && text == "no conditions payloads recorded for run 8\n")
        (code, text) = try Self.wmctl(["t0", "conditions", "--spool", fixture.spool.root, "--run", "8", "--json"])
        #expect(code == 0 && text == "[]\n")
        for bad in [["--bogus"], ["--run", "0"], ["--run", "x"], ["extra"]] {
            (code, _) = try Self.wmctl(["t0", "conditions", "--spool", fixture.spool.root] + bad)
            #expect(code == 64, "\(bad)")
        }
    }

    /// Runs `wmctl` in-process; returns the exit code and standard output.
    static func wmctl(_ args: [String]) throws -> (Int32, String) {
        let output = Wmctl.Output()
        let code = Wmctl.run(args, environment: [:], stdin: { "" }, output: output)
        return (code, output.stdout)
    }

    // MARK: RepackMerge after a straight-to-merge lumi

    /// A Repack workflow: the Repack subscription (output `write_Muon_RAW`) and its RepackMerge, whose fileset is
    /// `closed` and holds `available`. `straight` lumis went straight to merge: each has a Repack job whose streamer
    /// documents are in the Repack's `completed/` and whose accounting record says `merged`.
    static func repackMerge(_ label: String, available: [SplitFile], straight: [Int], outcome: String = "success",
                            merged: Bool = true, closed: Bool = true) throws -> (WMBSFixture, Subscription) {
        let fixture = try WMBSFixture(label, workflow: "Repack_Run7_StreamPhysics")
        let wf = fixture.workflow
        let unmerged = "/\(wf)/Repack/unmerged-write_Muon_RAW"
        let output = SubscriptionOutput(spec: JobOutputSpec(dataTier: "RAW", dataset: "/Muon/Run2026A-v1/RAW",
                                                            lfnBase: "/store/unmerged/Muon/RAW", merged: false),
                                        unmergedFilesets: [unmerged])
        let repack = Subscription(name: "Repack", workflow: wf, task: "/\(wf)/Repack", taskType: "Repack", inputFileset: "Run7_StreamPhysics",
                                  algorithm: "Repack", outputs: ["write_Muon_RAW": output])
        let merge = Subscription(name: "RepackMergewrite_Muon_RAW", workflow: wf, task: "/\(wf)/Repack/RepackMergewrite_Muon_RAW",
                                 taskType: "Merge", inputFileset: unmerged, algorithm: "RepackMerge",
                                 parameters: RepackMergeParameters(minInputSize: 1000, maxInputSize: 5000, maxInputEvents: 1000, maxInputFiles: 10,
                                                                   maxEdmSize: 10_000, maxOverSize: 5000, maxLatency: 3600).subscriptionParameters)
        try fixture.spool.inBatch { batch in
            try fixture.store.create(workflow: wf, subscriptions: [repack, merge],
                                     filesets: [Fileset(name: repack.inputFileset, consumers: [repack.name]),
                                                Fileset(name: unmerged, open: !closed, producers: [repack.name], consumers: [merge.name])], in: batch)
        }
        try fixture.add(available, to: unmerged)
        let completed = fixture.store.fileFolder(wf, repack.name, .completed)
        try fixture.spool.ensureDirectories([completed, AccountingAreas.reports(wf)])
        for (index, lumi) in straight.enumerated() {
            let job = JobName.make(workflowKey: WMBSStore.workflowKey(wf), subscription: repack.name, number: index + 1)
            let streamers = [Self.file("streamer\(lumi)a", lumis: [lumi]), Self.file("streamer\(lumi)b", lumis: [lumi])]
            try fixture.spool.publish(WMBSStore.encodeFiles(streamers), as: WMBSStore.jobBundleName(job), in: completed)
            let record = AccountingRecord(
                job: job, retry: 0, workflow: wf, task: repack.task, taskType: "Repack", outcome: outcome, exitCode: 0, step: "cmsRun1",
                errors: [], site: "T0_CH_CERN", jobTime: 1, peakRSS: nil, events: 20, inputs: streamers.map(\.lfn), runs: [7],
                outputs: [.init(module: "write_Muon_RAW", lfn: "/store/data/Muon/RAW/ls\(lumi).root", dataset: "/Muon/Run2026A-v1/RAW",
                                size: 5000, events: 20, merged: merged)],
                logArchive: nil)
            try fixture.spool.publish(Array(try JSONEncoder().encode(record)) + [10], as: "\(job)-0.jsonl", in: AccountingAreas.reports(wf))
        }
        return (fixture, merge)
    }

    @Test func aLumiAfterAStraightToMergeLumiMergesAtOnceNotAfterMaxLatency() throws {
        let young = 1_000_000.0 - 10
        let available = [Self.file("unmerged2", lumis: [2], at: young)]
        let (fixture, merge) = try Self.repackMerge("t0straight", available: available, straight: [1])
        let now = fixture.base.clock.now
        #expect(try Self.planned(fixture, merge, now: now) == [["/store/t0/unmerged2.root"]],
                "lumi 1 is in Merged already: no hole before lumi 2, and the closed fileset forces it")
        // The same lumi without the straight-to-merge record waits maxLatency behind the hole at lumi 1.
        for (label, outcome, merged) in [("t0nostraight", "success", false), ("t0failedstraight", "jobfailed", true)] {
            let (control, controlMerge) = try Self.repackMerge(label, available: available, straight: [1], outcome: outcome, merged: merged)
            #expect(try Self.planned(control, controlMerge, now: now) == [], "\(label): lumi 1 is a hole")
            #expect(try Self.planned(control, controlMerge, now: young + 3601) == [["/store/t0/unmerged2.root"]], "\(label): after maxLatency")
        }
    }

    @Test func aStraightToMergeLumiBetweenTwoLumisReleasesTheFirstWithForce() throws {
        let young = 1_000_000.0 - 10
        let available = [Self.file("unmerged1", lumis: [1], at: young), Self.file("unmerged3", lumis: [3], at: young)]
        let (fixture, merge) = try Self.repackMerge("t0straightmid", available: available, straight: [2], closed: false)
        #expect(try Self.planned(fixture, merge, now: fixture.base.clock.now) == [["/store/t0/unmerged1.root"]],
                "lumi 2 is used: lumi 1 is emitted with force although below minInputSize; lumi 3 waits for more")
        let used = try Tier0SplitReader(store: fixture.store, workflow: fixture.workflow, subscription: merge,
                                        fileset: try fixture.store.fileset(fixture.workflow, merge.inputFileset)).straightToMergeLumis()
        #expect(used == [2])
    }
}
