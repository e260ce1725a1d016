import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import WMCore

/// Issue 21 item 4: the `sim` batch plugin's decisions (when an attempt ends, whether it fails), its settings'
/// checks, and its records (submit, poll, kill, find) on a spool.
@Suite struct SimulatedBatchTests {
    /// A `sites.json` with one site whose `compute` is `compute` (JSON text).
    static func sites(compute: String) -> [UInt8] {
        Array(#"{"schema":1,"sites":[{"name":"T2_XX_Sim","state":"Normal","stateTime":0,"#.utf8)
            + Array(#""slots":{"pendingSlots":10,"runningSlots":10},"taskSlots":{},"storageElement":"T2_XX_Sim","#.utf8)
            + Array(#""compute":\#(compute)}]}"#.utf8)
    }

    /// The message the site configuration refuses `compute` with, or nil when it loads.
    static func refusal(_ compute: String) -> String? {
        do {
            _ = try SiteConfiguration.decode(sites(compute: compute), file: "sites.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theSettingsLoadAndTakeTheirDefaults() throws {
        let loaded = try SiteConfiguration.decode(
            Self.sites(compute: #"{"plugin":"sim","runSeconds":3600,"failureRate":0.25,"timeScale":3600,"seed":7}"#), file: "sites.json")
        let runs = SimulatedRuns(try #require(loaded.site(named: "T2_XX_Sim")).compute)
        #expect(runs == SimulatedRuns(runSeconds: 3600, failureRate: 0.25, timeScale: 3600, seed: 7))
        #expect(runs.wallSeconds == 1)
        let bare = try SiteConfiguration.decode(Self.sites(compute: #"{"plugin":"sim"}"#), file: "sites.json")
        #expect(SimulatedRuns(bare.sites[0].compute) == SimulatedRuns(runSeconds: 0, failureRate: 0, timeScale: 1, seed: 0))
        // Written back, the settings survive (and a site without them gains no keys).
        let again = try SiteConfiguration.decode(try loaded.encoded(), file: "again.json")
        #expect(again == loaded)
        #expect(!String(decoding: try bare.encoded(), as: UTF8.self).contains("failureRate"))
    }

    @Test(arguments: [
        (#"{"plugin":"sim","runSeconds":-1}"#, "field 'sites[0].compute.runSeconds' is '-1.0'; expected simulated seconds from 0 to 31622400"),
        (#"{"plugin":"sim","runSeconds":1e300}"#, "compute.runSeconds' is '1e+300'; expected simulated seconds"),
        (#"{"plugin":"sim","failureRate":1.5}"#, "field 'sites[0].compute.failureRate' is '1.5'; expected a probability from 0 to 1"),
        (#"{"plugin":"sim","failureRate":-0.1}"#, "compute.failureRate' is '-0.1'; expected a probability from 0 to 1"),
        (#"{"plugin":"sim","timeScale":0}"#, "field 'sites[0].compute.timeScale' is '0.0'; expected a speed-up from 0.001 to 1000000000"),
        (#"{"plugin":"sim","timeScale":2e9}"#, "compute.timeScale' is '2000000000.0'; expected a speed-up"),
        (#"{"plugin":"sim","seed":-3}"#, "field 'sites[0].compute.seed' is '-3'; expected an integer from 0 to 9007199254740992"),
        (#"{"plugin":"sim","seed":"x"}"#, "compute.seed"),
        (#"{"plugin":"sim","speed":2}"#, "speed"),
        (#"{"plugin":"local","failureRate":0.5}"#, "field 'sites[0].compute.failureRate' is '0.5'; expected absent: only the sim plugin takes failureRate"),
        (#"{"plugin":"slurm","timeScale":10}"#, "expected absent: only the sim plugin takes timeScale"),
        (#"{"plugin":"sim","payload":"null"}"#, "compute.payload"),
        (#"{"plugin":"simulated"}"#, "field 'sites[0].compute.plugin' is 'simulated'; expected local or slurm or sim"),
    ])
    func badSettingsAreRefusedNamingTheField(compute: String, message: String) {
        let refusal = Self.refusal(compute)
        #expect(refusal?.hasPrefix("sites.json") == true && refusal?.contains(message) == true, "\(compute): \(refusal ?? "accepted")")
    }

    @Test func anAttemptEndsOnceItsCompressedTimeHasPassed() {
        let runs = SimulatedRuns(runSeconds: 7200, failureRate: 0, timeScale: 3600, seed: 0)
        #expect(runs.wallSeconds == 2)
        #expect(!runs.hasEnded(submitted: 1000, now: 1000))
        #expect(!runs.hasEnded(submitted: 1000, now: 1001.999))
        #expect(runs.hasEnded(submitted: 1000, now: 1002))
        #expect(runs.hasEnded(submitted: 1000, now: 5000))
        #expect(SimulatedRuns(runSeconds: 0, failureRate: 0, timeScale: 1, seed: 0).hasEnded(submitted: 1000, now: 1000), "0 s: ends at its first poll")
    }

    @Test func failuresAreDeterministicPerSeedJobAndRetryAndFollowTheRate() {
        let jobs = (0..<4000).map { "wf-task-\($0)" }
        let quarter = SimulatedRuns(runSeconds: 0, failureRate: 0.25, timeScale: 1, seed: 42)
        let failed = jobs.filter { quarter.fails(job: $0, retry: 0) }
        #expect((850...1150).contains(failed.count), "about a quarter of 4000 fail: \(failed.count)")
        #expect(jobs.filter { quarter.fails(job: $0, retry: 0) } == failed, "the same decisions again")
        let otherSeed = SimulatedRuns(runSeconds: 0, failureRate: 0.25, timeScale: 1, seed: 43)
        #expect(jobs.filter { otherSeed.fails(job: $0, retry: 0) } != failed, "another seed fails other attempts")
        let retried = jobs.filter { quarter.fails(job: $0, retry: 1) }
        #expect(retried != failed && Set(retried).intersection(failed).count < failed.count / 2, "a retry is decided afresh")
        #expect(!jobs.contains { SimulatedRuns(runSeconds: 0, failureRate: 0, timeScale: 1, seed: 42).fails(job: $0, retry: 0) }, "rate 0: none")
        #expect(jobs.allSatisfy { SimulatedRuns(runSeconds: 0, failureRate: 1, timeScale: 1, seed: 42).fails(job: $0, retry: 3) }, "rate 1: all")
        #expect(jobs.allSatisfy { (0..<1).contains(SimulatedRuns.draw(seed: 42, job: $0, retry: 0)) })
    }

    /// A plugin on a fresh spool with a clock the test moves.
    final class Clock: @unchecked Sendable { var now: Double = 1_000_000 }

    static func plugin(_ label: String, runs: SimulatedRuns, clock: Clock) throws -> (SimulatedBatchPlugin, Spool) {
        let spool = try Spool(root: TestSupport.temporaryDirectory("sim-" + label), durability: .none)
        let plugin = try SimulatedBatchPlugin(spool: spool, site: "T2_XX_Sim", runs: runs)
        plugin.now = { clock.now }
        return (plugin, spool)
    }

    static func submission(_ key: String, spool: Spool) -> BatchSubmission {
        BatchSubmission(key: key, jobName: String(key.prefix { $0 != "-" }), workDirectory: spool.root + "/work/" + key,
                        arguments: ["/bin/true"])
    }

    @Test func aSubmittedAttemptRunsUntilItsTimeThenLeavesAReportAndIsFoundAgain() throws {
        let clock = Clock()
        let (plugin, spool) = try Self.plugin("lifecycle", runs: SimulatedRuns(runSeconds: 600, failureRate: 0, timeScale: 60, seed: 1), clock: clock)
        let results = plugin.submit([Self.submission("jobA-0", spool: spool), Self.submission("jobB-0", spool: spool)])
        #expect(results.map { try? $0.get() } == ["jobA-0", "jobB-0"])
        #expect(try plugin.findSubmissions(["jobA-0", "jobB-0", "jobC-0"]) == ["jobA-0": "jobA-0", "jobB-0": "jobB-0"])
        #expect(try spool.scan(Layout.simulatedBatch(site: "T2_XX_Sim") + "/running").names.sorted() == ["jobA-0", "jobB-0"])
        // Submitting again is idempotent: nothing new, the same id.
        #expect(plugin.submit([Self.submission("jobA-0", spool: spool)]).map { try? $0.get() } == ["jobA-0"])

        clock.now += 9.9
        #expect(try plugin.status(["jobA-0", "jobC-0"]) == ["jobA-0": .running, "jobC-0": .unknown])
        #expect(!FileManager.default.fileExists(atPath: spool.root + "/work/jobA-0/Report.0.xml"), "no report before its time")

        // Killed while running: removed by the agent, and it never ends with a report.
        try plugin.kill(["jobB-0"])
        clock.now += 0.1
        let polled = try plugin.status(["jobA-0", "jobB-0"])
        #expect(polled["jobB-0"] == .failed(reason: "killed by the agent", removed: true))
        #expect(!FileManager.default.fileExists(atPath: spool.root + "/work/jobB-0/Report.0.xml"))
        // Its time up, jobA ends through the job wrapper: this work directory has no job.json, so the wrapper's
        // report says so (99109), exactly as wm-runjob's would.
        guard case .complete(let code)? = polled["jobA-0"] else { Issue.record("jobA-0: \(String(describing: polled["jobA-0"]))"); return }
        #expect(code == Int32(99109 & 0xFF))
        let report = try String(contentsOfFile: spool.root + "/work/jobA-0/Report.0.xml", encoding: .utf8)
        #expect(report.contains("BadJobDocument") && report.contains("99109"), "\(report)")
        // Polled again, the recorded outcome is read back; the attempt is not run twice.
        #expect(try plugin.status(["jobA-0"]) == ["jobA-0": .complete(exitCode: code)])
        #expect(try spool.scan(Layout.simulatedBatch(site: "T2_XX_Sim") + "/running").names.isEmpty)
        #expect(try plugin.findSubmissions(["jobA-0", "jobB-0"]).count == 2, "finished attempts are still found")
        try plugin.kill(["jobA-0", "gone-0"])
        #expect(try plugin.status(["jobA-0"]) == ["jobA-0": .complete(exitCode: code)], "killing a finished attempt changes nothing")
    }

    @Test func unsafeKeysAreRefusedAndTheStandardFactoryBuildsTheSimPlugin() throws {
        let clock = Clock()
        let (plugin, spool) = try Self.plugin("refusals", runs: SimulatedRuns(runSeconds: 0, failureRate: 0, timeScale: 1, seed: 0), clock: clock)
        var bad = Self.submission("x-0", spool: spool)
        bad.key = "../escape-0"
        var noRetry = Self.submission("x-0", spool: spool)
        noRetry.key = "noretry"
        let results = plugin.submit([bad, noRetry])
        #expect(results.allSatisfy { if case .failure(.invalidSubmission(_, "key", _)) = $0 { return true } else { return false } }, "\(results)")
        #expect(try plugin.status(["../escape-0"]) == ["../escape-0": .unknown])

        let site = try SiteConfiguration.decode(Self.sites(compute: #"{"plugin":"sim","runSeconds":5,"timeScale":5}"#), file: "s.json").sites[0]
        let made = try BatchPlugins.standardPlugin(for: site, spool: spool)
        #expect((made as? SimulatedBatchPlugin)?.runs == SimulatedRuns(runSeconds: 5, failureRate: 0, timeScale: 5, seed: 0))
        #expect(SystemCall.isDirectory(spool.path(Layout.simulatedBatch(site: "T2_XX_Sim") + "/finished")))
    }
}
