import DynamicJSON
import Foundation
import SpoolKit
@testable import SpoolLayout
@testable import Stages
import TestSupport
import Testing
import Tier0
import WMCore

/// `wm-t0feeder`'s WMBS side (§A.2 configure, §A.3 feed and close) on hand-made storage-manager documents.
@Suite struct T0StreamFeedingTests {
    /// A run of one instance, two lumis of stream Physics with one streamer each; `path(lumi)` names each streamer's file.
    static func publishRun(_ spool: Spool, path: (Int) -> String, size: Int) throws {
        let documents = [#"{"kind": "run", "run": 9, "hltKey": "HLT_2026_v1", "cmssw": "CMSSW_14_0_7", "setupLabel": "Data"}"#]
            + (1...2).flatMap { lumi in [
                #"{"kind": "streamer", "run": 9, "lumi": \#(lumi), "stream": "Physics", "instance": "sm1", "#
                    + #""lfn": "/store/t0streamer/Data/Physics/000/000/009/run9_ls\#(lumi)_sm1.dat", "path": "\#(path(lumi))", "events": 3, "size": \#(size)}"#,
                #"{"kind": "endOfLumi", "run": 9, "lumi": \#(lumi), "stream": "Physics", "instance": "sm1", "files": 1}"#] }
            + [#"{"kind": "endOfRun", "run": 9, "instance": "sm1", "instances": 1, "lumis": 2}"#]
        for (index, text) in documents.enumerated() { try spool.publish(Array(text.utf8), as: "d\(index).json", in: Layout.tier0Incoming) }
    }

    /// A spool whose run 9 (`publishRun`, streamer files of 64 bytes) the feeder has registered and fed.
    static func fedRun(_ label: String) throws -> Spool {
        let spool = try T0FeederTests.spool(label)
        let data = TestSupport.temporaryDirectory(label + "-data")
        for lumi in 1...2 { try Data(repeating: UInt8(lumi), count: 64).write(to: URL(fileURLWithPath: data + "/s\(lumi).dat")) }
        try publishRun(spool, path: { data + "/s\($0).dat" }, size: 64)
        try T0FeederTests.feed(spool)
        return spool
    }

    @Test func closedLumisAreFedAndTheFilesetClosesOnceTheRunEnded() throws {
        let spool = try Self.fedRun("t0feed-ok")
        let workflow = "Repack_Run9_StreamPhysics"
        let store = WMBSStore(spool: spool)
        #expect(try store.fileKeys(workflow, "Repack", in: .available).count == 2)
        #expect(try store.fileset(workflow, "Run9_StreamPhysics")?.open == false, "the run ended and every lumi is in")
        #expect(store.isInjected(workflow))
        let copied = spool.path("storage/T0_CH_CERN_Disk/store/t0streamer/Data/Physics/000/000/009/run9_ls1_sm1.dat")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copied)) == Data(repeating: 1, count: 64))
        #expect(try spool.scan(Layout.tier0Run(9).fed).names.count == 2 && spool.scan(Layout.tier0Run(9).streamers).names.isEmpty)
        #expect(spool.contains(workflow + ".closed", in: Layout.tier0Run(9).workflows))
        // Feeding again changes nothing (idempotent), and a workflow WMBS forgot is never made again.
        try T0FeederTests.feed(spool)
        #expect(try store.fileKeys(workflow, "Repack", in: .available).count == 2)
        try spool.removeFolder(Layout.wmbs(workflow).root)
        try T0FeederTests.feed(spool)
        #expect(!spool.isFolder(Layout.wmbs(workflow).root))
        // A state summary removed by hand is rebuilt from the registered documents (the run does not vanish).
        let state = try #require(try Tier0RunStore(spool: spool).state(run: 9))
        try SystemCall.unlink(spool.path(Layout.tier0Run(9).root + "/" + Layout.Tier0RunFolders.stateName))
        try T0FeederTests.feed(spool)
        #expect(try Tier0RunStore(spool: spool).state(run: 9) == state)
        #expect(try T0FeederTests.runs(spool)[9]?["ended"]?.boolValue == true)
    }

    @Test func aStreamWhoseWorkflowAKillLeftUnrecordedIsConfiguredAlthoughAnotherStreamClosed() throws {
        let spool = try Self.fedRun("t0feed-unrecorded")
        // As a kill leaves it: another stream's workflow recorded and closed, Physics's WMBS made but not recorded.
        let folder = Layout.tier0Run(9).workflows
        for name in ["Repack_Run9_StreamPhysics", "Repack_Run9_StreamPhysics.closed"] { try spool.removeFile(name, in: folder) }
        for name in ["Express_Run9_StreamExpress", "Express_Run9_StreamExpress.closed"] { _ = try spool.publish(Array("0\n".utf8), as: name, in: folder) }
        try T0FeederTests.feed(spool)
        #expect(spool.contains("Repack_Run9_StreamPhysics", in: folder) && spool.contains("Repack_Run9_StreamPhysics.closed", in: folder),
                "the run is not finished while one of its streams has no closed workflow")
    }

    @Test func aStreamerWhoseFileIsALinkOrTheWrongSizeIsQuarantinedAndItsLumiWaits() throws {
        let spool = try T0FeederTests.spool("t0feed-bad")
        let data = TestSupport.temporaryDirectory("t0feed-bad-data")
        try Data(repeating: 7, count: 64).write(to: URL(fileURLWithPath: data + "/s1.dat"))
        try Data(repeating: 7, count: 64).write(to: URL(fileURLWithPath: data + "/secret"))
        try FileManager.default.createSymbolicLink(atPath: data + "/s2.dat", withDestinationPath: data + "/secret")
        try Self.publishRun(spool, path: { data + "/s\($0).dat" }, size: 64)
        try T0FeederTests.feed(spool)
        let workflow = "Repack_Run9_StreamPhysics"
        let store = WMBSStore(spool: spool)
        #expect(try store.fileKeys(workflow, "Repack", in: .available).count == 1, "lumi 1 is fed, lumi 2 is not")
        #expect(try store.fileset(workflow, "Run9_StreamPhysics")?.open == true, "the run waits for lumi 2")
        let corrupt = Layout.tier0Run(9).root + "/corrupt"
        let reasons = try spool.scan(corrupt).names.filter { $0.hasSuffix(".reason") }
        #expect(reasons.count == 1)
        let reason = try String(decoding: #require(try spool.read(reasons[0], in: corrupt)), as: UTF8.self)
        #expect(reason.contains("run9_ls2_sm1.dat") && reason.contains("symbolic link"))
        #expect(!SystemCall.exists(spool.path("storage/T0_CH_CERN_Disk/store/t0streamer/Data/Physics/000/000/009/run9_ls2_sm1.dat")))
        // Quarantined once: another cycle neither feeds nor quarantines it again.
        try T0FeederTests.feed(spool)
        #expect(try spool.scan(corrupt).names.filter { $0.hasSuffix(".reason") }.count == 1)
    }
}
