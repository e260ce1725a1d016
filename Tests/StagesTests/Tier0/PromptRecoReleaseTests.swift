import Commands
import DynamicJSON
import Foundation
@testable import Operator
import SpoolKit
@testable import SpoolLayout
@testable import Stages
import TestSupport
import Testing
import Tier0
import WMCore

/// The feeder's PromptReco bookkeeping (issue 20, §A.2 `reco_release_config`, §A.4): one release row per (run, PD
/// with doReco) once the run's Repack workflow is configured, its stop time the feeder's clock when it saw the run
/// end, lock and release at stop + delay − offset and stop + delay, the hold and `promptReco.enabled`, an operator's
/// forced release, and the `wmctl t0` verbs. Run 7 of `T0FeederTests`' hand-made documents (stream Physics: Muon,
/// EGamma, JetMET); the feeder runs in-process on a `TestClock`.
@Suite struct PromptRecoReleaseFeederTests {
    /// A spool whose `etc/t0.json` has PromptReco delay 10 s, offset 2 s, and `datasets` as given.
    static func spool(_ label: String, datasets: [String: Any] = [:], enabled: Bool = true) throws -> Spool {
        let spool = try T0FeederTests.spool(label)
        try editConfiguration(spool) { object in
            object["promptReco"] = ["delay": 10, "offset": 2, "enabled": enabled]
            object["datasets"] = datasets
        }
        return spool
    }

    /// Rewrites `etc/t0.json` through `change`.
    static func editConfiguration(_ spool: Spool, _ change: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: spool.path(Layout.tier0Configuration))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    /// Runs the feeder until quiet at `clock`'s time.
    @discardableResult
    static func feed(_ spool: Spool, _ clock: TestClock, lines: LogCapture? = nil) throws -> CycleReport {
        var context = T0FeederTests.context(spool)
        context.now = { clock.now }
        if let lines { context.log = Logger(component: "t0", sink: lines.append) }
        return try StageRunner.run(T0FeederStage(), context: context)
    }

    /// Drops run 7's documents: the run, lumi 1 from sm1 (one streamer) and both instances' end of lumis 1 and 2.
    static func dropRun(_ spool: Spool) throws {
        for (i, text) in [T0FeederTests.runDocument, T0FeederTests.streamer(lumi: 1),
                          T0FeederTests.endOfLumi(lumi: 1, instance: "sm1", files: 1), T0FeederTests.endOfLumi(lumi: 1, instance: "sm2", files: 0),
                          T0FeederTests.endOfLumi(lumi: 2, instance: "sm1", files: 0), T0FeederTests.endOfLumi(lumi: 2, instance: "sm2", files: 0)]
            .enumerated() {
            try T0FeederTests.drop(spool, "r\(i).json", text)
        }
    }

    /// Drops both instances' end of run 7.
    static func endRun(_ spool: Spool) throws {
        try T0FeederTests.drop(spool, "e1.json", T0FeederTests.endOfRun(instance: "sm1"))
        try T0FeederTests.drop(spool, "e2.json", T0FeederTests.endOfRun(instance: "sm2"))
    }

    /// Run 7's rows by dataset.
    static func rows(_ spool: Spool) throws -> [String: PromptRecoReleaseRecord] {
        Dictionary(uniqueKeysWithValues: try PromptRecoReleaseStore(spool: spool).records(run: 7).map { ($0.dataset, $0) })
    }

    /// `wmctl ARGS` in-process: exit code and output.
    static func wmctl(_ spool: Spool, _ args: [String]) -> (code: Int32, out: Wmctl.Output) {
        let output = Wmctl.Output()
        return (Wmctl.run(["--spool", spool.root] + args, environment: [:], output: output), output)
    }

    @Test func rowsAreBookedForEachDatasetWithDoRecoAndLockAndReleaseAtStopPlusDelay() throws {
        let spool = try Self.spool("recobook", datasets: ["EGamma": ["doReco": false], "JetMET": ["recoDelay": 20, "recoDelayOffset": 5]])
        let clock = TestClock(1000)
        try Self.dropRun(spool)
        try Self.feed(spool, clock)
        var rows = try Self.rows(spool)
        #expect(rows.keys.sorted() == ["JetMET", "Muon"], "EGamma has doReco false")
        #expect(rows.values.allSatisfy { $0.state == .waiting && $0.stopTime == 0 }, "the run has not ended: no stop time")
        clock.advance(100)
        try Self.feed(spool, clock)
        #expect(try Self.rows(spool).values.allSatisfy { $0.state == .waiting && $0.stopTime == 0 }, "a running run never locks")
        try Self.endRun(spool)
        try Self.feed(spool, clock)   // 1100: the run ends
        rows = try Self.rows(spool)
        #expect(rows.values.allSatisfy { $0.stopTime == 1100 && $0.state == .waiting })
        clock.advance(8)              // 1108: Muon locks after 1108 (1100 + 10 − 2)
        try Self.feed(spool, clock)
        #expect(try Self.rows(spool)["Muon"]?.state == .waiting)
        clock.advance(1)              // 1109
        try Self.feed(spool, clock)
        rows = try Self.rows(spool)
        #expect(rows["Muon"]?.state == .locked && rows["Muon"]?.lockedAt == 1109 && rows["Muon"]?.delay == 10 && rows["Muon"]?.offset == 2)
        #expect(rows["JetMET"]?.state == .waiting, "JetMET's own delays: locks after 1115")
        let workflows = Layout.tier0Run(7).workflows
        #expect(!spool.contains("PromptReco_Run7_Muon", in: workflows), "locked is not released")
        clock.advance(2)              // 1111: Muon released (1110 passed)
        try Self.feed(spool, clock)
        rows = try Self.rows(spool)
        #expect(rows["Muon"]?.state == .released && rows["Muon"]?.releasedAt == 1111)
        #expect(spool.contains("PromptReco_Run7_Muon", in: workflows) && !spool.contains("PromptReco_Run7_JetMET", in: workflows))
        // The released row's workflow: stored, in WMBS on its open fileset, PromptReco's tasks.
        let workload = try #require(try ElementStore(spool: spool).workload("PromptReco_Run7_Muon"))
        #expect(workload.requestType == .promptReco)
        let reco = try #require(workload.tasks.first)
        #expect(reco.input == .tier0Dataset(name: "/Muon/Run2026A-v1/RAW", selection: InputSelection(runWhitelist: [7])))
        let fileset = try #require(try WMBSStore(spool: spool).fileset("PromptReco_Run7_Muon", "Run7_Muon_RAW"))
        #expect(fileset.open, "open until the run's RAW is complete in the catalog")
        clock.advance(20)             // 1131: JetMET locks (1115) and releases (1120) in one cycle
        try Self.feed(spool, clock)
        rows = try Self.rows(spool)
        #expect(rows["JetMET"]?.state == .released && rows["JetMET"]?.lockedAt == 1131 && rows["JetMET"]?.delay == 20)
        let text = Self.wmctl(spool, ["t0", "runs"])
        #expect(text.code == 0 && text.out.stdout.contains("PromptReco 2 released"), "\(text.out.stdout)")
        #expect(text.out.stdout.contains("  PromptReco Muon: released at " + Tier0Verbs.time(1111)), "\(text.out.stdout)")
    }

    @Test func theHoldAndADisabledPromptRecoHoldEveryReleaseUntilResumed() throws {
        let spool = try Self.spool("recohold")
        let clock = TestClock(1000)
        try Self.dropRun(spool)
        try Self.endRun(spool)
        try Self.feed(spool, clock)
        #expect(Self.wmctl(spool, ["t0", "hold", "--dry-run"]).code == 0)
        #expect(!PromptRecoReleaseStore(spool: spool).isHeld, "--dry-run changed nothing")
        let hold = Self.wmctl(spool, ["t0", "hold"])
        #expect(hold.code == 0 && hold.out.stdout.contains("held"))
        #expect(spool.contains(Layout.tier0PromptRecoHoldName, in: Layout.tier0Root))
        clock.advance(1000)
        try Self.feed(spool, clock)
        #expect(try Self.rows(spool).values.allSatisfy { $0.state == .waiting }, "held: nothing locks")
        let shown = Self.wmctl(spool, ["t0", "runs"]).out.stdout
        #expect(shown.contains("PromptReco releases are held") && shown.contains("PromptReco Muon: waiting (run stopped at "
                                                                                    + Tier0Verbs.time(1000) + "), held"), "\(shown)")
        #expect(try T0FeederTests.runs(spool)[7]?["release"]?.objectValue?["held"]?.boolValue == true)
        #expect(Self.wmctl(spool, ["t0", "resume", "--dry-run"]).code == 0 && PromptRecoReleaseStore(spool: spool).isHeld)
        #expect(Self.wmctl(spool, ["t0", "resume"]).code == 0)
        #expect(Self.wmctl(spool, ["t0", "resume"]).out.stdout == "PromptReco releases are not held\n")
        try Self.feed(spool, clock)
        #expect(try Self.rows(spool).values.allSatisfy { $0.state == .released && $0.releasedAt == 2000 })
        // promptReco.enabled false holds every release as well.
        let disabled = try Self.spool("recooff", enabled: false)
        try Self.dropRun(disabled)
        try Self.endRun(disabled)
        try Self.feed(disabled, clock)
        clock.advance(1000)
        try Self.feed(disabled, clock)
        #expect(try Self.rows(disabled).values.allSatisfy { $0.state == .waiting })
    }

    @Test func anOperatorsReleaseSkipsTheDelayOnceTheRunHasStopped() throws {
        let spool = try Self.spool("recoforce")
        let clock = TestClock(1000)
        try Self.dropRun(spool)
        try Self.feed(spool, clock)
        let before = try T0FeederTests.tree(spool)
        let dry = Self.wmctl(spool, ["t0", "release", "--run", "7", "--dataset", "Muon", "--dry-run"])
        #expect(dry.code == 0 && dry.out.stdout.contains("would release run 7 Muon as soon as the run stops"), "\(dry.out.stdout)")
        #expect(try T0FeederTests.tree(spool) == before, "--dry-run changed the spool")
        #expect(Self.wmctl(spool, ["t0", "release", "--run", "8"]).code == 66, "no row for run 8")
        #expect(Self.wmctl(spool, ["t0", "release", "--run", "x"]).code == 64)
        #expect(Self.wmctl(spool, ["t0", "release", "--bogus"]).code == 64)
        #expect(try T0FeederTests.tree(spool) == before)
        let forced = Self.wmctl(spool, ["t0", "release", "--run", "7", "--dataset", "Muon"])
        #expect(forced.code == 0 && forced.out.stdout == "run 7 Muon: released as soon as the run stops\n", "\(forced.out.stdout)")
        try Self.feed(spool, clock)
        #expect(try Self.rows(spool)["Muon"]?.state == .waiting, "the run has not stopped: the request waits")
        #expect(try T0FeederTests.runs(spool)[7]?["release"]?.objectValue?["datasets"]?.arrayValue?
            .contains { $0.objectValue?["dataset"]?.stringValue == "Muon" && $0.objectValue?["requested"]?.boolValue == true } == true)
        try Self.endRun(spool)
        #expect(Self.wmctl(spool, ["t0", "hold"]).code == 0)
        try Self.feed(spool, clock)   // stops at 1000; held: the request is applied (locked), not released
        #expect(try Self.rows(spool)["Muon"]?.state == .locked)
        #expect(Self.wmctl(spool, ["t0", "runs"]).out.stdout.contains("PromptReco Muon: locked at " + Tier0Verbs.time(1000)
                                                                      + " with no delay: released at the feeder's next cycle, forced by an operator, held"))
        #expect(Self.wmctl(spool, ["t0", "resume"]).code == 0)
        clock.advance(1)
        try Self.feed(spool, clock)   // 1001: Muon released with no delay, the others wait for 1010
        let rows = try Self.rows(spool)
        #expect(rows["Muon"]?.state == .released && rows["Muon"]?.forced == true && rows["Muon"]?.delay == 0)
        #expect(rows["JetMET"]?.state == .waiting && rows["EGamma"]?.state == .waiting)
        #expect(!PromptRecoReleaseStore(spool: spool).isReleaseRequested(run: 7, dataset: "Muon"), "the request was applied")
        #expect(Self.wmctl(spool, ["t0", "runs"]).out.stdout.contains("PromptReco Muon: released at " + Tier0Verbs.time(1001)
                                                                      + ", forced by an operator"))
        #expect(Self.wmctl(spool, ["t0", "release", "--run", "7", "--dataset", "Muon"]).out.stdout.hasPrefix("nothing to release"))
    }

    @Test func aDamagedRowIsNamedAndItsRunSkippedWhileOtherRunsGoOn() throws {
        let spool = try Self.spool("recodamaged")
        let clock = TestClock(1000)
        try Self.dropRun(spool)
        try Self.feed(spool, clock)
        let folder = Layout.tier0Run(7).reco
        try Data(#"{"run": 7, "dataset": "Muon", "stopTime": 0, "state": "sideways"}"#.utf8)
            .write(to: URL(fileURLWithPath: spool.path(folder + "/Muon.json")))
        #expect(throws: DocumentProblem.self) { try PromptRecoReleaseStore(spool: spool).records(run: 7) }
        let lines = LogCapture()
        try Self.endRun(spool)
        try Self.feed(spool, clock, lines: lines)
        #expect(lines.text.contains("t0/runs/7/reco/Muon.json") && lines.text.contains("PromptReco of the run skipped"), "\(lines.text)")
        #expect(Self.wmctl(spool, ["t0", "runs"]).code == 65)
        // A row in the wrong file is refused the same way.
        try Data(#"{"run": 8, "dataset": "Muon", "stopTime": 0, "state": "waiting"}"#.utf8)
            .write(to: URL(fileURLWithPath: spool.path(folder + "/Muon.json")))
        #expect(throws: DocumentProblem.self) { try PromptRecoReleaseStore(spool: spool).records(run: 7) }
    }

    @Test func aRecordRoundTripsThroughTheReleaseRules() {
        var record = PromptRecoReleaseRecord(run: 1, dataset: "A")
        record.stopTime = 100
        #expect(record.row == PromptRecoRelease.Row(run: 1, dataset: "A", stopTime: 100))
        #expect(record.schedule(delays: (10, 2))! == (lock: 108, release: 110))
        let locked = record.applying(.init(run: 1, dataset: "A", stopTime: 100, state: .locked(delay: 10, offset: 2)), now: 109)
        #expect(locked.state == .locked && locked.lockedAt == 109 && locked.row.state == .locked(delay: 10, offset: 2))
        #expect(locked.schedule(delays: (99, 1))! == (lock: 108, release: 110), "a locked row keeps the delays stored at lock time")
        let released = locked.applying(.init(run: 1, dataset: "A", stopTime: 100, state: .released(at: 111)), now: 111)
        #expect(released.state == .released && released.releasedAt == 111 && released.lockedAt == 109)
        #expect(released.row.state == .released(at: 111))
        var running = PromptRecoReleaseRecord(run: 1, dataset: "A")
        running.stopTime = 0
        #expect(running.schedule(delays: (10, 2)) == nil)
        running.stopTime = Int.max
        #expect(running.schedule(delays: (10, 2))! == (lock: Int.max, release: Int.max), "saturates, never traps")
    }
}
