import DynamicJSON
import Foundation
import SpoolKit
@testable import SpoolLayout
import Stages
import StorageManagerReplay
import TestSupport
import Testing

/// `wm-t0-replay` → `wm-t0feeder` → `wmctl t0 runs` (issue 20, §A.3): 2 runs × 2 streams × 10 lumis from 2 instances,
/// shuffled, one instance late, empty lumis, duplicates. After every cycle, each lumi is final-closed exactly when
/// both instances reported it and all its streamers are registered, checked against the registered files read
/// as plain JSON (not through the ledger).
@Suite struct T0FeederEndToEndTests {
    static let replay = ["--runs", "2", "--lumis", "10", "--instances", "2", "--events-per-file", "3", "--payload-bytes", "8",
                         "--shuffle", "--late-instance", "--empty-lumis", "2", "--duplicate", "--seed", "11"]

    /// A fresh spool with the replay's documents in `t0/incoming/`; returns the spool and the documents dropped.
    static func replayedSpool(_ label: String) throws -> (Spool, [[String: JSONValue]]) {
        let spool = try T0FeederTests.spool(label)
        let output = ReplayOutput()
        let code = ReplayCommand.run(["--spool", spool.root] + replay, output: output)
        try #require(code == 0, "\(output.stderr)")
        let documents = try spool.scan(Layout.tier0Incoming).names.map { try object(spool, $0, in: Layout.tier0Incoming) }
        return (spool, documents)
    }

    /// The JSON object in `folder/name`.
    static func object(_ spool: Spool, _ name: String, in folder: String) throws -> [String: JSONValue] {
        let bytes = try #require(try spool.read(name, in: folder), "\(folder)/\(name) is there")
        return try #require(try JSONValue.parse(bytes).objectValue, "\(folder)/\(name) is an object")
    }

    /// What the registered files say, read as plain JSON: (run, stream, lumi) → (instances that reported it, files
    /// they said, streamers registered); and run → the instances that ended it.
    static func registered(_ spool: Spool) throws -> (lumis: [String: (instances: Set<String>, files: Int, streamers: Int)], ends: [Int: Int]) {
        var lumis: [String: (instances: Set<String>, files: Int, streamers: Int)] = [:]
        var ends: [Int: Int] = [:]
        for run in try Tier0RunStore(spool: spool).runs() {
            let folders = Layout.tier0Run(run)
            for folder in [folders.streamers, folders.fed, folders.lumis, folders.ends] {
                for name in try spool.scan(folder).names {
                    let doc = try object(spool, name, in: folder)
                    let key = "\(run)/\(doc["stream"]?.stringValue ?? "")/\(doc["lumi"]?.intValue ?? 0)"
                    switch doc["kind"]?.stringValue {
                    case "streamer": lumis[key, default: ([], 0, 0)].streamers += 1
                    case "endOfLumi":
                        lumis[key, default: ([], 0, 0)].instances.insert(try #require(doc["instance"]).serialized)
                        lumis[key, default: ([], 0, 0)].files += try #require(doc["files"]?.intValue)
                    default: ends[run, default: 0] += 1
                    }
                }
            }
        }
        return (lumis, ends)
    }

    /// Checks `wmctl t0 runs --json` against the registered files: final-closed exactly when both instances
    /// reported the lumi and all its streamers are registered.
    static func checkClosure(_ spool: Spool) throws {
        let files = try registered(spool)
        for (run, object) in try T0FeederTests.runs(spool) {
            for stream in object["streams"]?.arrayValue ?? [] {
                let name = stream.objectValue?["stream"]?.stringValue ?? ""
                for lumi in stream.objectValue?["lumis"]?.arrayValue ?? [] {
                    let l = lumi.objectValue ?? [:]
                    let known = files.lumis["\(run)/\(name)/\(l["lumi"]?.intValue ?? 0)"] ?? ([], 0, 0)
                    let complete = known.instances.count == 2 && known.streamers == known.files
                    #expect((l["state"]?.stringValue == "finalClosed") == complete,
                            "run \(run) \(name) lumi \(l["lumi"]?.intValue ?? 0): \(l["state"]?.stringValue ?? "?") with \(known)")
                }
            }
            #expect((object["ended"]?.boolValue == true) == (files.ends[run] == 2), "run \(run)")
        }
    }

    /// The final checks: every lumi final-closed, the empty ones with 0 files, each LFN registered once, both runs ended.
    static func checkEnd(_ spool: Spool, documents: [[String: JSONValue]]) throws {
        let runs = try T0FeederTests.runs(spool)
        #expect(runs.keys.sorted() == [100001, 100002])
        let lfns = documents.compactMap { $0["lfn"]?.stringValue }
        #expect(lfns.count > Set(lfns).count, "the replay delivered some streamers twice")
        var registeredStreamers = 0
        for (run, object) in runs {
            #expect(object["ended"]?.boolValue == true && object["lumiCount"]?.intValue == 10, "run \(run)")
            #expect(object["hltKey"]?.stringValue == "HLT_2026_v1")
            let streams = object["streams"]?.arrayValue ?? []
            #expect(streams.compactMap { $0.objectValue?["stream"]?.stringValue } == ["Express", "Physics"])
            for stream in streams {
                let lumis = stream.objectValue?["lumis"]?.arrayValue?.compactMap { $0.objectValue } ?? []
                #expect(lumis.map { $0["lumi"]?.intValue } == Array(1...10))
                #expect(lumis.allSatisfy { $0["state"]?.stringValue == "finalClosed" })
                let empty = lumis.filter { $0["files"]?.intValue == 0 }
                #expect(empty.count == 2 && empty.allSatisfy { $0["registered"]?.intValue == 0 }, "run \(run): the empty lumis close with 0 files")
                registeredStreamers += lumis.reduce(0) { $0 + ($1["registered"]?.intValue ?? 0) }
            }
        }
        #expect(registeredStreamers == Set(lfns).count, "each LFN registered once")
        #expect(try spool.scan("t0/corrupt").names.isEmpty, "nothing quarantined")
        #expect(try spool.scan(Layout.tier0Incoming).names.isEmpty)
    }

    @Test func inProcessEveryLumiFinalClosesExactlyWhenAllInstancesReportedAndAllStreamersAreRegistered() throws {
        let (spool, documents) = try Self.replayedSpool("t0e2e")
        var cycles = 0
        while try !spool.scan(Layout.tier0Incoming).names.isEmpty {
            let report = try T0FeederStage().runCycle(T0FeederTests.context(spool, batch: 9))
            #expect(report.quarantined == 0)
            try Self.checkClosure(spool)
            cycles += 1
            try #require(cycles < 1000)
        }
        #expect(cycles > 10, "the closeout was checked at many intermediate points")
        try Self.checkEnd(spool, documents: documents)
    }

    @Test func asAProcessTheFeederEndsWithTheSameRuns() throws {
        let (spool, documents) = try Self.replayedSpool("t0e2eproc")
        let (reference, _) = try Self.replayedSpool("t0e2eref")
        try T0FeederTests.feed(reference)
        let feeder = try TestSupport.run(TestSupport.executable("wm-t0feeder"), ["--spool", spool.root, "--batch", "25"])
        #expect(feeder.status == 0, "\(feeder.stderr)")
        try Self.checkEnd(spool, documents: documents)
        #expect(try T0FeederTests.runsWithoutReleaseTimes(spool) == T0FeederTests.runsWithoutReleaseTimes(reference))
    }
}
