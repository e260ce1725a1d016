import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import Stages
@testable import WMCore
@testable import Operator

/// Issue 19 item 2: a job's cores reach the batch systems (Slurm's `--cpus-per-task`, the local plugin's
/// slots) and the submitter's site thresholds; job documents say `numberOfCores` and old ones read as 1.
@Suite struct CoresTests {
    static func submission(_ key: String, cores: Int, dir: String, seconds: Double = 0) -> BatchSubmission {
        BatchSubmission(key: key, jobName: key, workDirectory: dir + "/" + key,
                        arguments: ["/bin/sh", "-c", "sleep \(seconds)"], cores: cores)
    }

    @Test func sbatchAsksForTheJobsCoresAndKeepsMemoryPerJob() {
        let plugin = SlurmBatchPlugin(spoolRoot: "/spool")
        let four = BatchSubmission(key: "job-1-0", jobName: "job-1", workDirectory: "/spool/w", arguments: ["/bin/true"],
                                   wallTimeLimit: 120, memoryLimitMB: 8000, cores: 4)
        let args = plugin.sbatchArguments(four, script: "/spool/w/slurm-job.sh")
        #expect(args.contains("--cpus-per-task=4"))
        #expect(args.contains("--mem=8000"), "the job's memory, not per core")
        #expect(args.last == "/spool/w/slurm-job.sh")
        var single = four
        single.cores = 1
        #expect(!plugin.sbatchArguments(single, script: "/s.sh").contains { $0.hasPrefix("--cpus-per-task") },
                "a single-core job keeps Slurm's default of one CPU")
    }

    @Test func coresOutsideTheRangeAreRefusedBeforeAnyScript() {
        for cores in [0, -3, Int(Lexicon.maxCores) + 1] {
            let bad = Self.submission("k", cores: cores, dir: "/tmp")
            #expect(throws: BatchPluginError.invalidSubmission(key: "k", field: "cores", expected: "1 to \(Int(Lexicon.maxCores)), got \(cores)")) {
                try JobScript.validate(bad)
            }
        }
    }

    @Test func localPluginCountsCoresAgainstItsSlots() throws {
        let root = TestSupport.temporaryDirectory("cores-local")
        let spool = try Spool(root: root, durability: .none)
        let plugin = try LocalBatchPlugin(spool: spool, site: "T2_X", slots: 4)
        // One 4-core job fills the 4 slots: the 1-core jobs submitted after it wait until it ends.
        let results = plugin.submit([Self.submission("big-0", cores: 4, dir: root, seconds: 1),
                                     Self.submission("small-0", cores: 1, dir: root),
                                     Self.submission("small2-0", cores: 1, dir: root)])
        #expect(results.allSatisfy { if case .success = $0 { return true } else { return false } })
        let first = try plugin.status(["big-0", "small-0", "small2-0"])
        #expect(first == ["big-0": .running, "small-0": .pending, "small2-0": .pending])
        var statuses = first
        let end = SystemCall.now() + 20
        while SystemCall.now() < end, statuses["small2-0"] != .complete(exitCode: 0) {
            usleep(50_000)
            statuses = try plugin.status(["big-0", "small-0", "small2-0"])
            if statuses["big-0"] == .running { #expect(statuses["small-0"] == .pending && statuses["small2-0"] == .pending) }
        }
        #expect(statuses == ["big-0": .complete(exitCode: 0), "small-0": .complete(exitCode: 0), "small2-0": .complete(exitCode: 0)])
        let log = try String(contentsOfFile: root + "/" + Layout.localBatch(site: "T2_X") + "/started.log", encoding: .utf8)
        #expect(log.split(separator: "\n").first == "big-0", "the 4-core job started first, alone")
    }

    @Test func localPluginRunsAJobWiderThanTheSiteAlone() throws {
        let root = TestSupport.temporaryDirectory("cores-wide")
        let plugin = try LocalBatchPlugin(spool: try Spool(root: root, durability: .none), site: "T2_X", slots: 4)
        _ = plugin.submit([Self.submission("small-0", cores: 1, dir: root, seconds: 1), Self.submission("wide-0", cores: 8, dir: root),
                           Self.submission("after-0", cores: 1, dir: root)])
        // The 8-core job waits for the whole site, the job behind it waits for it, and it runs alone.
        #expect(try plugin.status(["small-0", "wide-0", "after-0"]) == ["small-0": .running, "wide-0": .pending, "after-0": .pending])
        let end = SystemCall.now() + 20
        while SystemCall.now() < end, try plugin.status(["after-0"]) != ["after-0": .complete(exitCode: 0)] { usleep(20_000) }
        #expect(try plugin.status(["small-0", "wide-0", "after-0"]).values.allSatisfy { $0 == .complete(exitCode: 0) },
                "an 8-core job on 4 slots runs, not never")
        let log = try String(contentsOfFile: root + "/" + Layout.localBatch(site: "T2_X") + "/started.log", encoding: .utf8)
        #expect(log.split(separator: "\n") == ["small-0", "wide-0", "after-0"], "started one after another, in order")
    }

    @Test func siteThresholdsCountCores() {
        let site = Site(name: "T2_X", slots: SlotLimits(pendingSlots: 8, runningSlots: 4),
                        compute: ComputeSettings(plugin: "local", slots: 4), storageElement: "T2_X")
        var load = SiteLoad()
        load.add(site: "T2_X", taskType: "Production", isRunning: false, cores: 4)
        #expect(load.pending["T2_X"] == 4)
        #expect(load.blockingCondition(site: site, taskType: "Production", cores: 4) == nil, "4 + 4 pending cores fit in 8")
        load.add(site: "T2_X", taskType: "Production", isRunning: false, cores: 4)
        #expect(load.blockingCondition(site: site, taskType: "Production", cores: 1) == "NoPendingSlot", "8 pending cores of 8")
        var running = SiteLoad()
        running.add(site: "T2_X", taskType: "Production", isRunning: true, cores: 8)
        running.add(site: "T2_X", taskType: "Production", isRunning: false, cores: 2)
        #expect(running.blockingCondition(site: site, taskType: "Production", cores: 2) == nil, "8 + 2 + 2 ≤ 12")
        #expect(running.blockingCondition(site: site, taskType: "Production", cores: 4) == "NoRunningSlot", "8 + 2 + 4 > 12")
        // A job wider than a limit is not held back forever on an empty site.
        #expect(SiteLoad().blockingCondition(site: site, taskType: "Production", cores: 16) == nil)
        // Nonsense from a hand-edited document counts within range instead of overflowing.
        var odd = SiteLoad()
        odd.add(site: "T2_X", taskType: "Production", isRunning: true, cores: Int.max)
        odd.add(site: "T2_X", taskType: "Production", isRunning: true, cores: Int.max)
        #expect(odd.running["T2_X"] == 2 * Int(Lexicon.maxCores))
    }

    @Test func submitterChoosesSitesByCoresAndPassesThemToThePlugin() throws {
        let site = ExecutionFixture.localSite("T2_X", pending: 6, running: 0, slots: 4)
        let fx = try ExecutionFixture("cores-submit", sites: [site])
        try fx.addJob("a", sites: ["T2_X"], priority: 3, cores: 4)
        try fx.addJob("b", sites: ["T2_X"], priority: 2, cores: 4)
        try fx.addJob("c", sites: ["T2_X"], priority: 1)
        let recorder = RecordingCores()
        let stage = JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in recorder })
        _ = try stage.runCycle(fx.context())
        // 6 pending slots: a (4 cores) goes, b (4 more) would make 8, c (1 more) makes 5.
        #expect(recorder.submitted.map(\.jobName) == ["a", "c"])
        #expect(recorder.submitted.map(\.cores) == [4, 1])
        #expect(try fx.names(.created) == ["b"])
        #expect(try fx.job("a", .executing).numberOfCores == 4)
    }

    @Test func aJobDocumentWithNonsenseCoresFailsSubmissionSayingWhy() throws {
        let fx = try ExecutionFixture("cores-bad", sites: [ExecutionFixture.localSite("T2_X")])
        try fx.addJob("bad", sites: ["T2_X"], cores: 0)
        _ = try JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in RecordingCores() }).runCycle(fx.context())
        let failed = try fx.job("bad", .submitfailed)
        #expect(failed.history.last?.reason.contains("field 'numberOfCores' is 0; expected 1 to 1024") == true, "\(failed.history.last?.reason ?? "")")
    }

    @Test func numberOfCoresIsWrittenAndReadAndOldDocumentsTakeOne() throws {
        var job = JobDocument(JobBody(name: "j", workflow: "wf", task: "/wf/T", taskType: "Production", subscription: "s",
                                      inputFiles: []))
        #expect(job.cores == 1)
        let old = try JobDocumentWriter.bytes(job)
        #expect(!String(decoding: old, as: UTF8.self).contains("numberOfCores"))
        #expect(JobDocumentReader.read(old)?.cores == 1)
        job.numberOfCores = 4
        let bytes = try JobDocumentWriter.bytes(job)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: try encoder.encode(job), as: UTF8.self) + "\n",
                "the fast writer writes what JSONEncoder writes")
        let read = try #require(JobDocumentReader.read(bytes))
        #expect(read.numberOfCores == 4 && read.extra.isEmpty)
        #expect(try JSONDecoder().decode(JobDocument.self, from: Data(bytes)).cores == 4)
    }
}

/// A plugin that records submissions and accepts them all.
final class RecordingCores: BatchPlugin {
    var submitted: [BatchSubmission] = []
    func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        submitted += submissions
        return submissions.map { .success("id-" + $0.key) }
    }
    func status(_ ids: [String]) throws -> [String: BatchStatus] { Dictionary(uniqueKeysWithValues: ids.map { ($0, .pending) }) }
    func kill(_ ids: [String]) throws {}
    func findSubmissions(_ keys: [String]) throws -> [String: String] { [:] }
}

/// Issue 19 item 5: the job's `performanceMonitor` survives the fast document reader and writer and sets Slurm's
/// `--mem` (MaxRSS) and `--time` (SoftTimeout + GracePeriod); out-of-range limits are named.
@Suite struct PerformanceLimitsTests {
    static func job(_ limits: PerformanceLimits?) -> JobDocument {
        var body = JobBody(name: "j-1", workflow: "w", task: "/w/T", taskType: "Production", subscription: "s", inputFiles: [],
                           estimatedTime: 50, estimatedMemory: 2000)
        body.performanceMonitor = limits
        return JobDocument(body)
    }

    @Test func limitsRoundTripThroughTheFastReaderAndWriter() throws {
        let limits = PerformanceLimits(maxRSS: 1500, maxVSize: 4000, softTimeout: 600, gracePeriod: 30)
        let bytes = try JobDocumentWriter.bytes(Self.job(limits))
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""performanceMonitor":{"gracePeriod":30,"maxRSS":1500,"maxVSize":4000,"softTimeout":600}"#))
        #expect(JobDocumentReader.read(bytes)?.body.performanceMonitor == limits)
        #expect(try JSONDecoder().decode(JobBody.self, from: Data(bytes)).performanceMonitor == limits)
    }

    @Test func slurmTakesMemoryFromMaxRSSAndTimeFromSoftTimeoutPlusGrace() {
        let limited = Self.job(PerformanceLimits(maxRSS: 1500, softTimeout: 600, gracePeriod: 30))
        #expect(JobSubmitterStage.batchWallTime(limited) == 630)
        #expect(JobSubmitterStage.batchMemoryMB(limited) == 1500)
        let plain = Self.job(nil)
        #expect(JobSubmitterStage.batchWallTime(plain) == 50, "no limits: the estimates")
        #expect(JobSubmitterStage.batchMemoryMB(plain) == 2000)
        let args = SlurmBatchPlugin(spoolRoot: "/spool").sbatchArguments(
            BatchSubmission(key: "k", jobName: "j", workDirectory: "/w", arguments: ["/bin/true"],
                            wallTimeLimit: JobSubmitterStage.batchWallTime(limited), memoryLimitMB: JobSubmitterStage.batchMemoryMB(limited)),
            script: "/w/s.sh")
        #expect(args.contains("--time=11") && args.contains("--mem=1500"), "\(args)")
    }

    @Test func outOfRangeLimitsAreNamed() {
        #expect(PerformanceLimits(maxRSS: 0).problem == "field 'performanceMonitor.maxRSS' is 0; expected 1 to \(PerformanceLimits.largest) (absent: no limit)")
        #expect(PerformanceLimits(gracePeriod: -1).problem?.contains("'performanceMonitor.gracePeriod' is -1") == true)
        #expect(PerformanceLimits(maxRSS: 1, maxVSize: 1, softTimeout: 1, gracePeriod: 0).problem == nil)
    }
}

/// Issue 19 item 3: a job's `JobExtraMatchRequirements` decides which of its sites it may run at; true at none, it
/// waits and `wmctl status` says why; an expression this system cannot evaluate fails its submission saying so.
@Suite struct ExtraMatchRequirementSubmitTests {
    private func addJob(_ fx: ExecutionFixture, _ name: String, requirement: String, task: String = "/wf/GenSimFull") throws {
        try fx.addJob(name, sites: ["T2_A", "T2_B"], task: task)
        let area = fx.jobs
        var job = try fx.job(name, .created)
        job.jobExtraMatchRequirements = requirement
        try fx.spool.inBatch { try $0.replaceContent(of: area.fileName(name), in: area.folder(.created), with: try area.encode(job)) }
    }

    @Test func theRequirementPicksTheSitesWhereItIsTrue() throws {
        let fx = try ExecutionFixture("extra-match", sites: [ExecutionFixture.localSite("T2_A"), ExecutionFixture.localSite("T2_B")])
        try addJob(fx, "b-only", requirement: #"GLIDEIN_CMSSite == "T2_B" && regexp("GenSim", WMAgent_SubTaskName)"#)
        try addJob(fx, "nowhere", requirement: #"regexp("Digi", WMAgent_SubTaskName)"#)
        try addJob(fx, "bad", requirement: "Memory > 100")
        let recorder = RecordingCores()
        _ = try JobSubmitterStage(runjobPath: "/bin/true", pluginFactory: { _ in recorder }).runCycle(fx.context())
        #expect(recorder.submitted.map(\.jobName) == ["b-only"])
        #expect(try fx.job("b-only", .executing).site == "T2_B")
        #expect(try fx.names(.created) == ["nowhere"], "a requirement true at no site waits, as in HTCondor")
        let failed = try fx.job("bad", .submitfailed)
        #expect(failed.history.last?.reason.contains("attribute 'Memory' is not known here") == true, "\(failed.history.last?.reason ?? "")")
        let waiting = try SpoolInspector(spool: fx.spool).waitingJobs()
        #expect(waiting.count == 1 && waiting[0].job.hasPrefix("nowhere"), "\(waiting)")
        #expect(waiting.first?.reason.contains(#"JobExtraMatchRequirements regexp("Digi", WMAgent_SubTaskName) is true at none of its sites"#) == true,
                "\(waiting)")
    }
}
