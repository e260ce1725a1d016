import Agent
import Commands
import DynamicJSON
import Foundation
@testable import Operator
import SpoolKit
@testable import SpoolLayout
import Stages
import StorageManagerReplay
import TestSupport
import Testing
import Tier0
import WMCore

/// `wm-t0feeder`'s first slice (issue 20, §A.1/§A.3): registration of the storage managers' documents into
/// `t0/runs/<run>/`, the run's closeout state, and `wmctl t0 runs`.
@Suite struct T0FeederTests {
    /// A spool made by `wmagent init` (so it has the default `etc/t0.json`).
    static func spool(_ label: String) throws -> Spool {
        let root = TestSupport.temporaryDirectory(label)
        try AgentSpool.initialize(at: root)
        return try Spool(root: root)
    }

    /// A context for in-process cycles; `lines` collects the log.
    static func context(_ spool: Spool, dryRun: Bool = false, batch: Int = 500) -> StageContext {
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        options.dryRun = dryRun
        options.batchSize = batch
        return StageContext(spool: spool, options: options, log: Logger(component: "t0", sink: { _ in }))
    }

    /// Drops `text` into `t0/incoming/` as `name`.
    static func drop(_ spool: Spool, _ name: String, _ text: String) throws {
        try spool.publish(Array(text.utf8), as: name, in: Layout.tier0Incoming)
    }

    /// Runs the feeder in-process until quiet.
    @discardableResult
    static func feed(_ spool: Spool, batch: Int = 500) throws -> CycleReport {
        try StageRunner.run(T0FeederStage(), context: context(spool, batch: batch))
    }

    /// `wmctl t0 runs --json`, parsed: run number → its object.
    static func runs(_ spool: Spool) throws -> [Int: [String: JSONValue]] {
        let output = Wmctl.Output()
        let code = Wmctl.run(["--spool", spool.root, "t0", "runs", "--json"], environment: [:], output: output)
        try #require(code == 0, "\(output.stderr)")
        var runs: [Int: [String: JSONValue]] = [:]
        for row in try #require(try JSONValue.parse(Array(output.stdout.utf8)).arrayValue) {
            let object = try #require(row.objectValue)
            runs[try #require(object["run"]?.intValue)] = object
        }
        return runs
    }

    /// `runs(spool)` without the PromptReco rows' times (stop, lock, release: the feeder's clock when it saw each
    /// happen), for comparing two spools fed the same documents at different moments.
    static func runsWithoutReleaseTimes(_ spool: Spool) throws -> [Int: [String: JSONValue]] {
        try runs(spool).mapValues { run in
            var run = run
            guard case .object(var release)? = run["release"], let datasets = release["datasets"]?.arrayValue else { return run }
            release["datasets"] = .array(datasets.map { row in
                guard case .object(var object) = row else { return row }
                for key in ["stopTime", "lockedAt", "releasedAt"] { object[key] = nil }
                return .object(object)
            })
            run["release"] = .object(release)
            return run
        }
    }

    /// Every file under the spool except the substrate's own (for "nothing changed").
    static func tree(_ spool: Spool) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: spool.root)?.allObjects ?? [] where !relative.hasPrefix(".") {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spool.path(relative), isDirectory: &isFolder), !isFolder.boolValue else { continue }
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: spool.path(relative)))
        }
        return files
    }

    static let runDocument = #"{"kind": "run", "run": 7, "hltKey": "HLT_2026_v1", "cmssw": "CMSSW_14_0_7_patch2", "setupLabel": "Data"}"#
    /// A streamer document; its file is `<data>/s<lumi>.dat` of 100 bytes (`dataFile` writes it: the feeder feeds it).
    static func streamer(lumi: Int, instance: String = "sm1", events: Int = 5, data: String = "/data") -> String {
        #"{"kind": "streamer", "run": 7, "lumi": \#(lumi), "stream": "Physics", "instance": "\#(instance)", "#
            + #""lfn": "/store/t0streamer/Data/Physics/000/000/007/run7_ls\#(lumi)_\#(instance).dat", "path": "\#(data)/s\#(lumi).dat", "#
            + #""events": \#(events), "size": 100}"#
    }
    static func endOfLumi(lumi: Int, instance: String, files: Int) -> String {
        #"{"kind": "endOfLumi", "run": 7, "lumi": \#(lumi), "stream": "Physics", "instance": "\#(instance)", "files": \#(files)}"#
    }
    static func endOfRun(instance: String, lumis: Int = 2) -> String {
        #"{"kind": "endOfRun", "run": 7, "instance": "\#(instance)", "instances": 2, "lumis": \#(lumis)}"#
    }

    // MARK: Registration

    @Test func documentsAreRegisteredOneFilePerKeyInTheirRunsFolderAndTheLedgerIsRebuiltFromIt() throws {
        let spool = try Self.spool("t0reg")
        try Self.drop(spool, "a.json", Self.runDocument)
        try Self.drop(spool, "b.json", Self.streamer(lumi: 1))
        try Self.drop(spool, "c.json", Self.endOfLumi(lumi: 1, instance: "sm1", files: 1))
        try Self.drop(spool, "d.json", Self.endOfRun(instance: "sm1"))
        let report = try Self.feed(spool)
        // 4 documents registered, the run's Repack workflow configured, its 3 primary datasets' PromptReco rows booked.
        #expect(report.done == 4 + 1 + 3 && report.quarantined == 0, "done \(report.done)")
        #expect(try spool.scan(Layout.tier0Incoming).names.isEmpty, "incoming is drained")
        let run = Layout.tier0Run(7)
        #expect(spool.contains("run.json", in: run.root) && spool.contains("state.json", in: run.root))
        #expect(try spool.scan(run.streamers).names == ["store+t0streamer+Data+Physics+000+000+007+run7_ls1_sm1.dat.json"])
        #expect(try spool.scan(run.lumis).names == ["Physics-ls1-sm1.json"])
        #expect(try spool.scan(run.ends).names == ["sm1.json"])
        let registered = try Tier0RunStore(spool: spool).load(run: 7, configuredInstances: nil)
        #expect(registered.document?.hltKey == "HLT_2026_v1")
        #expect(registered.ledger.streamers.count == 1 && registered.ledger.lumiReports.count == 1 && registered.ledger.endOfRun.count == 1)
        let state = try #require(try Tier0RunStore(spool: spool).state(run: 7))
        #expect(state == Tier0RunState(registered))
        // sm2 has not reported lumi 1 (2 instances in all): the lumi stays open, the run not ended.
        #expect(state.streams.first?.lumis.map(\.state) == [.open])
        #expect(!state.ended && state.expectedInstances == 2 && state.instancesEnded == ["sm1"])
    }

    @Test func aBadDocumentIsQuarantinedOnceNamingTheFieldAndTheFeederCarriesOn() throws {
        let spool = try Self.spool("t0bad")
        try Self.drop(spool, "bad.json", Self.streamer(lumi: 1).replacingOccurrences(of: #""size": 100"#, with: #""size": 0"#))
        try Self.drop(spool, "good.json", Self.streamer(lumi: 2))
        let report = try Self.feed(spool)
        #expect(report.quarantined == 1 && report.done == 1)
        let reason = try String(contentsOfFile: spool.path("t0/corrupt/bad.json.reason"), encoding: .utf8)
        #expect(reason.contains("t0/incoming/bad.json") && reason.contains("field 'size'") && reason.contains("found 0"))
        #expect(try spool.scan(Layout.tier0Run(7).streamers).names.count == 1)
        let again = try Self.feed(spool)
        #expect(again.quarantined == 0 && again.done == 0, "quarantined once, not every cycle")
    }

    @Test func aDuplicateIsIdempotentAndAConflictIsQuarantinedWithItsReason() throws {
        let spool = try Self.spool("t0dup")
        try Self.drop(spool, "a.json", Self.streamer(lumi: 1))
        try Self.feed(spool)
        let before = try Self.tree(spool).filter { $0.key.hasPrefix("t0/runs") }
        try Self.drop(spool, "again.json", Self.streamer(lumi: 1))              // a second delivery (same LFN, same values)
        try Self.drop(spool, "other.json", Self.streamer(lumi: 1, events: 6))   // the same LFN with other values
        try Self.drop(spool, "eol1.json", Self.endOfLumi(lumi: 1, instance: "sm1", files: 1))
        try Self.drop(spool, "eol2.json", Self.endOfLumi(lumi: 1, instance: "sm1", files: 3))
        let report = try Self.feed(spool)
        #expect(report.done == 2 && report.quarantined == 2)
        #expect(try Self.tree(spool).filter { $0.key.hasPrefix("t0/runs/7/streamers") } == before.filter { $0.key.hasPrefix("t0/runs/7/streamers") })
        let other = try String(contentsOfFile: spool.path("t0/corrupt/other.json.reason"), encoding: .utf8)
        #expect(other.contains("LFN /store/t0streamer/Data/Physics/000/000/007/run7_ls1_sm1.dat was registered with other values"))
        let eol = try String(contentsOfFile: spool.path("t0/corrupt/eol2.json.reason"), encoding: .utf8)
        #expect(eol.contains("with 1 files before, now 3"))
    }

    @Test func dryRunChangesNothingAndAMissingConfigurationIsAnError() throws {
        let spool = try Self.spool("t0dry")
        try Self.drop(spool, "a.json", Self.streamer(lumi: 1))
        try Self.drop(spool, "bad.json", "{}")
        let before = try Self.tree(spool)
        let report = try StageRunner.run(T0FeederStage(), context: Self.context(spool, dryRun: true))
        #expect(report.done == 1 && report.quarantined == 1)
        #expect(try Self.tree(spool) == before, "--dry-run changed the spool")
        try FileManager.default.removeItem(atPath: spool.path(Layout.tier0Configuration))
        #expect(throws: ConfigurationError.self) { try Self.feed(spool) }
        #expect(try Self.tree(spool).filter { $0.key.hasPrefix(Layout.tier0Incoming) }.count == 2, "nothing was taken")
    }

    @Test func theProgramRefusesUnknownOptionsAndAMissingSpoolOrConfiguration() throws {
        let program = TestSupport.executable("wm-t0feeder")
        let spool = try Self.spool("t0prog")
        try Self.drop(spool, "a.json", Self.streamer(lumi: 1))
        let before = try Self.tree(spool)
        #expect(try TestSupport.run(program, ["--spool", spool.root, "--bogus"]).status == 64)
        #expect(try TestSupport.run(program, ["--spool", spool.root, "--config", spool.path("etc/agent.json")]).status == 64)
        #expect(try TestSupport.run(program, ["--spool", spool.root + "/nothing"]).status == 66)
        let dry = try TestSupport.run(program, ["--spool", spool.root, "--dry-run"])
        #expect(dry.status == 0 && dry.stderr.contains("would register"), "\(dry.stderr)")
        #expect(try Self.tree(spool) == before)
        try FileManager.default.removeItem(atPath: spool.path(Layout.tier0Configuration))
        let missing = try TestSupport.run(program, ["--spool", spool.root])
        #expect(missing.status == 66 && missing.stderr.contains("t0.json"), "\(missing.stderr)")
        #expect(try Self.tree(spool).filter { $0.key != Layout.tier0Configuration } == before.filter { $0.key != Layout.tier0Configuration })
    }

    // MARK: wmagent init

    @Test func initWritesAValidDefaultTier0ConfigurationAndTheIncomingFolder() throws {
        let spool = try Self.spool("t0init")
        let bytes = try #require(try spool.read(Layout.tier0ConfigurationFile, in: Layout.configuration))
        #expect(bytes == Array(EmbeddedDefaults.tier0JSON.utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: TestSupport.packageRoot + "/etc/t0.json")) == Data(bytes),
                "etc/t0.json and the embedded default differ")
        let configuration = try Tier0Configuration(validating: bytes, path: "t0.json")
        #expect(configuration.streams["Physics"]?.style == .bulk && configuration.streams["Express"]?.style == .express)
        #expect(spool.isFolder(Layout.tier0Incoming))
        #expect(Pipeline.hasTier0(spool))
        try FileManager.default.removeItem(atPath: spool.path(Layout.tier0Configuration))
        #expect(!Pipeline.hasTier0(spool), "a spool without t0.json runs the WMAgent stages alone")
        #expect(Pipeline.stages(agent: "a", tier0: true).first?.name == "wm-t0feeder")
        #expect(!Pipeline.stages(agent: "a").contains { $0.name == "wm-t0feeder" })
    }

    // MARK: wmctl

    @Test func wmctlT0RunsAndStatusShowEachRunsLumisAndEnd() throws {
        let spool = try Self.spool("t0ctl")
        let none = Wmctl.Output()
        #expect(Wmctl.run(["--spool", spool.root, "t0", "runs"], environment: [:], output: none) == 0, "\(none.stderr)")
        #expect(none.stdout == "no Tier-0 runs\n")
        #expect(Wmctl.run(["--spool", spool.root, "status"], environment: [:], output: Wmctl.Output()) == 0, "a spool with no t0/runs/")
        let data = TestSupport.temporaryDirectory("t0ctl-data")
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: data + "/s1.dat"))
        for (i, text) in [Self.runDocument, Self.streamer(lumi: 1, data: data), Self.endOfLumi(lumi: 1, instance: "sm1", files: 1),
                          Self.endOfLumi(lumi: 1, instance: "sm2", files: 0), Self.endOfLumi(lumi: 2, instance: "sm1", files: 0),
                          Self.endOfRun(instance: "sm1")].enumerated() {
            try Self.drop(spool, "\(i).json", text)
        }
        try Self.feed(spool)
        let output = Wmctl.Output()
        #expect(Wmctl.run(["--spool", spool.root, "t0", "runs"], environment: [:], output: output) == 0, "\(output.stderr)")
        #expect(output.stdout.contains("run 7  hltKey HLT_2026_v1  not ended  instances ended 1/2 (sm1)  PromptReco 3 waiting"), "\(output.stdout)")
        #expect(output.stdout.contains("stream Physics: 2 lumis: 1 final-closed, 0 closed waiting for streamers, 1 open (not final-closed: 2)"),
                "\(output.stdout)")
        let json = try #require(try Self.runs(spool)[7])
        let release = try #require(json["release"]?.objectValue)
        #expect(release["held"]?.boolValue == false && json["ended"]?.boolValue == false)
        #expect(release["datasets"]?.arrayValue?.compactMap { $0.objectValue?["dataset"]?.stringValue } == ["EGamma", "JetMET", "Muon"])
        #expect(output.stdout.contains("  PromptReco Muon: waiting for the run to stop"), "\(output.stdout)")
        let status = Wmctl.Output()
        #expect(Wmctl.run(["--spool", spool.root, "status"], environment: [:], output: status) == 0, "\(status.stderr)")
        #expect(status.stdout.contains("t0 run 7: not ended, instances ended 1/2, final-closed lumis Physics 1/2"), "\(status.stdout)")
        #expect(Wmctl.run(["--spool", spool.root, "t0", "runs", "--bogus"], environment: [:], output: Wmctl.Output()) == 64)
        // The run ends: it leaves wmctl status.
        try Self.drop(spool, "x.json", Self.endOfLumi(lumi: 2, instance: "sm2", files: 0))
        try Self.drop(spool, "y.json", Self.endOfRun(instance: "sm2"))
        try Self.feed(spool)
        let after = Wmctl.Output()
        #expect(Wmctl.run(["--spool", spool.root, "status"], environment: [:], output: after) == 0)
        #expect(!after.stdout.contains("t0 run 7"), "\(after.stdout)")
        #expect(try Self.runs(spool)[7]?["ended"]?.boolValue == true)
    }
}
