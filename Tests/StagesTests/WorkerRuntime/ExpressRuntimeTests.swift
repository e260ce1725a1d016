import DynamicJSON
import EventFiles
import Foundation
import FrameworkJobReport
import SpoolLayout
import StorageManagerReplay
import Testing
import TestSupport
@testable import WMCore

/// wm-cmsrun's express mode (issue 20, reference §A.5: Express writes FEVT of `Stream<name>` and the express PDs,
/// ALCARECO and DQMIO), run through the real `wm-runjob` and `wm-cmsrun` on streamer files from `wm-t0-replay`.
@Suite struct ExpressRuntimeTests {
    /// Writes a replay's streamer files onto the fixture's storage node (PFN = prefix + LFN) and returns the LFNs of the
    /// Express stream's files.
    static func expressStreamers(_ fixture: RuntimeFixture) throws -> [String] {
        try FileManager.default.createDirectory(atPath: fixture.spool + "/" + Layout.configuration, withIntermediateDirectories: true)
        try Data(StorageManagerReplayTests.menu.utf8).write(to: URL(fileURLWithPath: fixture.spool + "/" + Layout.tier0Configuration))
        let output = ReplayOutput()
        let code = ReplayCommand.run(["--spool", fixture.spool, "--data", fixture.storagePrefix, "--lumis", "3", "--instances", "2",
                                      "--events-per-file", "20", "--payload-bytes", "32"], output: output)
        #expect(code == 0, "\(output.stderr)")
        let folder = fixture.spool + "/" + Layout.tier0Incoming
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().compactMap { name in
            let body = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))).objectValue
            guard body?["kind"]?.stringValue == "streamer", body?["stream"]?.stringValue == "Express" else { return nil }
            return body?["lfn"]?.stringValue
        }
    }

    /// Every event of the inputs as full records (with trigger bits).
    static func records(_ paths: [String]) throws -> [EventRecord] {
        var records: [EventRecord] = []
        for path in paths { try EventFileReader(path: path).forEach { records.append($0) } }
        return records
    }

    @Test func expressWritesFEVTPerDatasetALCARECOBySubsetAndADQMIOSummary() throws {
        let fixture = RuntimeFixture("express")
        let inputs = try Self.expressStreamers(fixture)
        #expect(inputs.count == 6)   // 3 lumis × 2 instances
        let base = "/store/unmerged/Run2026A"
        let alcaMask: UInt64 = 0b0011   // HLT_Mu, HLT_Ele: the configurable ALCARECO selection
        let job = fixture.job("express-1", type: "Express", workflow: "Express_Run100001_StreamExpress", inputs: inputs,
                              outputs: ["write_StreamExpress_FEVT": RuntimeFixture.spec("FEVT", base: base + "/StreamExpress/FEVT/Express-v1"),
                                        "write_ExpressPhysics_FEVT": RuntimeFixture.spec("FEVT", base: base + "/ExpressPhysics/FEVT/Express-v1"),
                                        "write_StreamExpress_ALCARECO": RuntimeFixture.spec("ALCARECO", base: base + "/StreamExpress/ALCARECO/Express-v1"),
                                        "write_StreamExpress_DQMIO": RuntimeFixture.spec("DQMIO", base: base + "/StreamExpress/DQMIO/Express-v1")],
                              baggage: ["datasets": .object(["write_StreamExpress_FEVT": .int(0), "write_ExpressPhysics_FEVT": .int(0b1000),
                                                             "write_StreamExpress_ALCARECO": .int(Int(alcaMask))])])
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(run.report)
        let all = try Self.records(inputs.map(fixture.pfn)).sorted()
        #expect(all.count == 120)
        #expect(report.inputFiles.map(\.lfn) == inputs)
        #expect(report.inputFiles.allSatisfy { $0.events == 20 })
        // FEVT and ALCARECO: exactly the events passing each mask, read back from the staged-out files.
        for (module, mask) in [("write_StreamExpress_FEVT", UInt64(0)), ("write_ExpressPhysics_FEVT", 0b1000), ("write_StreamExpress_ALCARECO", alcaMask)] {
            let file = try #require(run.output(module), "\(module) is reported")
            let expected = all.filter { $0.passes(triggerMask: mask) }
            #expect(file.events == expected.count, "\(module)")
            #expect(try Self.records([file.pfn]).sorted() == expected, "\(module)")
            #expect(file.size == Int(try FileChecksums.compute(path: file.pfn).size))
            #expect(!expected.isEmpty && (mask == 0 || expected.count < all.count), "\(module): a real selection")
        }
        #expect(run.output("write_StreamExpress_FEVT")?.dataType == "FEVT")
        #expect(run.output("write_StreamExpress_ALCARECO")?.dataType == "ALCARECO")
        // DQMIO: a summary of what was read and written, reported with the lumis read.
        let dqm = try #require(run.output("write_StreamExpress_DQMIO"))
        #expect(dqm.dataType == "DQMIO" && dqm.events == 120)
        #expect(dqm.runs.lumis(inRun: 100_001) == [1, 2, 3])
        let summary = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dqm.pfn)))).objectValue
        #expect(summary?["eventsRead"] == .int(120))
        #expect(summary?["eventsPerOutput"]?.objectValue?["write_ExpressPhysics_FEVT"] == .int(all.filter { $0.passes(triggerMask: 0b1000) }.count))
        #expect(summary?["workflow"] == .string("Express_Run100001_StreamExpress"))
    }

    @Test func anExpressStepWithoutAnEventOutputFails() throws {
        let fixture = RuntimeFixture("express-nodata")
        let inputs = try Self.expressStreamers(fixture)
        let job = fixture.job("express-2", type: "Express", inputs: Array(inputs.prefix(1)),
                              outputs: ["write_StreamExpress_DQMIO": RuntimeFixture.spec("DQMIO", base: "/store/unmerged/Run2026A/StreamExpress/DQMIO/Express-v1")])
        let run = try fixture.run(job)
        #expect(run.status != 0)
        #expect(run.report?.exitCode == 8001, "\(run.stderr)")
        #expect(run.report?.outputFiles(module: "write_StreamExpress_DQMIO").isEmpty ?? true)
    }

    @Test func theExpressTaskTypeRunsTheExpressMode() throws {
        #expect(try StepMode(taskType: "Express") == .express)
        #expect(StepMode.express.runsCMSSW && StepMode.express.expectsOutput)
    }
}
