import EventFiles
import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import WMCore

/// Production → Processing → Merge through the real `wm-runjob` and `wm-cmsrun`.
@Suite struct RuntimeEndToEndTests {
    static let genBase = "/store/unmerged/Era/PD/GEN-SIM/Gen-v1"

    /// Checks that the file a report names exists at its PFN with the recorded size and checksums.
    func expectFileMatches(_ file: OutputFile, fixture: RuntimeFixture) throws {
        #expect(file.pfn == fixture.pfn(file.lfn))
        let actual = try FileChecksums.compute(path: file.pfn)
        #expect(file.size == Int(actual.size))
        #expect(file.adler32 == actual.adler32Hex)
        #expect(file.cksum == String(actual.cksum))
    }

    func produce(_ fixture: RuntimeFixture, name: String, events: ClosedRange<Int>, lumis: ClosedRange<Int>) throws -> OutputFile {
        let job = fixture.job(name, type: "Production", mask: RuntimeFixture.productionMask(events.lowerBound, events.upperBound, lumis: lumis),
                              outputs: ["RAWSIMoutput": RuntimeFixture.spec("GEN-SIM", base: Self.genBase)],
                              baggage: ["seed": .int(7)])
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let file = try #require(run.output("RAWSIMoutput"))
        try expectFileMatches(file, fixture: fixture)
        return file
    }

    @Test func productionProcessingAndMergeLeaveRealFilesAndTrueReports() throws {
        let fixture = RuntimeFixture("e2e")
        // Production: 100 events in lumis 1-4 (25 per lumi), then 100 more in lumis 5-8.
        let gen1 = try produce(fixture, name: "gen-1", events: 1...100, lumis: 1...4)
        #expect(gen1.events == 100)
        #expect(gen1.dataType == "GEN-SIM")
        #expect(gen1.runs.runs == [1])
        #expect(gen1.runs.lumis(inRun: 1) == [1, 2, 3, 4])
        #expect(gen1.runs.events(run: 1, lumi: 3) == .some(.some(25)))
        let lfnPattern = try Regex(#"^/store/unmerged/Era/PD/GEN-SIM/Gen-v1/00000/[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\.root$"#)
        #expect(gen1.lfn.wholeMatch(of: lfnPattern) != nil, "\(gen1.lfn)")
        #expect(gen1.lfn.hasSuffix(gen1.guid + ".root"))
        let gen2 = try produce(fixture, name: "gen-2", events: 101...200, lumis: 5...8)

        // Processing: reads gen-1's output into two modules; the filtered one keeps a subset.
        let processing = fixture.job("proc-1", type: "Processing", inputs: [gen1.lfn],
                                     outputs: ["RECOoutput": RuntimeFixture.spec("RECO", base: "/store/unmerged/Era/PD/RECO/v1"),
                                               "SKIMoutput": RuntimeFixture.spec("RAW-RECO", base: "/store/unmerged/Era/PD/RAW-RECO/v1", filter: 0b11)])
        let processed = try fixture.run(processing)
        #expect(processed.status == 0, "\(processed.stderr)")
        let report = try #require(processed.report)
        #expect(report.exitCode == 0)
        #expect(report.wrapper.stepStatus == 0)
        #expect(report.inputFiles.count == 1)
        #expect(report.inputFiles.first?.lfn == gen1.lfn)
        #expect(report.inputFiles.first?.events == 100)
        #expect(report.inputFiles.first?.runs.lumis(inRun: 1) == [1, 2, 3, 4])
        let reco = try #require(processed.output("RECOoutput"))
        let skim = try #require(processed.output("SKIMoutput"))
        try expectFileMatches(reco, fixture: fixture)
        try expectFileMatches(skim, fixture: fixture)
        #expect(reco.events == 100)
        #expect(skim.events > 0 && skim.events < 100)
        #expect(reco.inputLFNs == [gen1.lfn])
        #expect(try eventsIn(reco.pfn) == eventsIn(gen1.pfn))
        #expect(report.performance.cpu["TotalJobTime"] != nil)
        #expect(report.performance.memory["PeakValueRss"] != nil)

        // Merge: both production outputs into one; every generated event exactly once.
        let merge = fixture.job("merge-1", type: "Merge", inputs: [gen1.lfn, gen2.lfn],
                                outputs: ["Merged": RuntimeFixture.spec("GEN-SIM", base: "/store/mc/Era/PD/GEN-SIM/Gen-v1")])
        let merged = try fixture.run(merge)
        #expect(merged.status == 0, "\(merged.stderr)")
        let file = try #require(merged.output("Merged"))
        try expectFileMatches(file, fixture: fixture)
        #expect(file.events == 200)
        #expect(file.runs.lumis(inRun: 1) == Array(1...8))
        let events = try eventsIn(file.pfn)
        #expect(events.map(\.event) == Array(1...200).map(UInt64.init))
        #expect(Set(events).count == 200)
        #expect(merged.report?.inputFiles.map(\.lfn) == [gen1.lfn, gen2.lfn])
    }

    /// Issue 19 (RobustMerge): a robust merge skips an input it cannot read, reports it as skipped and merges the rest;
    /// a merge that is not robust fails on it with 8021.
    @Test func aRobustMergeSkipsABadInputAndAPlainOneFailsOnIt() throws {
        let fixture = RuntimeFixture("robust")
        let good1 = try produce(fixture, name: "gen-1", events: 1...100, lumis: 1...4)
        let bad = try produce(fixture, name: "gen-2", events: 101...200, lumis: 5...8)
        let good2 = try produce(fixture, name: "gen-3", events: 201...300, lumis: 9...12)
        // Damage the middle file's records: its reader fails partway, after the merge has started writing.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: bad.pfn))
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xFF, count: 512))
        try handle.close()
        let inputs = [good1.lfn, bad.lfn, good2.lfn]
        let spec = RuntimeFixture.spec("GEN-SIM", base: "/store/mc/Era/PD/GEN-SIM/Gen-v1")
        let robust = try fixture.run(fixture.job("merge-robust", type: "Merge", inputs: inputs, outputs: ["Merged": spec],
                                                 baggage: [StepConfig.skipBadFilesKey: .bool(true)]))
        #expect(robust.status == 0, "\(robust.stderr)")
        let file = try #require(robust.output("Merged"))
        #expect(try eventsIn(file.pfn).map(\.event) == (Array(1...100) + Array(201...300)).map(UInt64.init))
        #expect(robust.report?.skippedFiles.map(\.lfn) == [bad.lfn])
        let plain = try fixture.run(fixture.job("merge-plain", type: "Merge", inputs: inputs,
                                                outputs: ["Merged": RuntimeFixture.spec("GEN-SIM", base: "/store/mc/Era/PD/GEN-SIM/Gen-v2")]))
        #expect(plain.report?.exitCode == 8021, "\(plain.report?.errors ?? [])")
    }

    /// Issue 19 item 2: a 4-core job's cmsRun runs 4 threads (and its EventStreams as streams); the report says so, and
    /// its output is the same file a 1-core job writes.
    @Test func aFourCoreJobRunsFourThreadsAndWritesTheSameOutput() throws {
        let fixture = RuntimeFixture("threads")
        var adler: [String] = []
        for (name, cores, streams) in [("one", 1, 0), ("four", 4, 2)] {
            var job = fixture.job(name, type: "Production", mask: RuntimeFixture.productionMask(1, 2000, lumis: 1...20),
                                  outputs: ["RAWSIMoutput": RuntimeFixture.spec("GEN-SIM", base: Self.genBase + "/" + name)],
                                  baggage: ["seed": .int(7), "eventStreams": .int(streams)])
            job.numberOfCores = cores
            let run = try fixture.run(job)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(run.report)
            #expect(report.performance.cpu["NumberOfThreads"] == String(cores), "\(report.performanceSummaries)")
            #expect(report.performance.cpu["NumberOfStreams"] == String(streams > 0 ? streams : cores))
            adler.append(try #require(run.output("RAWSIMoutput")?.adler32))
        }
        #expect(adler[0] == adler[1], "the same events and payloads whatever the thread count")
    }

    @Test func logArchiveIsStagedToWMCoresLogLFN() throws {
        let fixture = RuntimeFixture("logs")
        let job = fixture.job("gen-1234", type: "Production", task: "/TestWorkflow/GenSim",
                              mask: RuntimeFixture.productionMask(1, 10, lumis: 1...1),
                              outputs: ["RAWSIMoutput": RuntimeFixture.spec("GEN-SIM", base: Self.genBase)],
                              baggage: ["unmergedLFNBase": .string("/store/unmerged/test")])
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let log = try #require(run.output("logArchive"))
        let pattern = try Regex(#"^/store/unmerged/test/logs/prod/\d{4}/\d{1,2}/\d{1,2}/TestWorkflow/GenSim/0001/0/gen-1234-0-logArchive\.tar\.gz$"#)
        #expect(log.lfn.wholeMatch(of: pattern) != nil, "\(log.lfn)")
        try expectFileMatches(log, fixture: fixture)
        let listing = try TestSupport.run("/bin/tar", ["-tzf", log.pfn])
        #expect(listing.stdout.split(separator: "\n").sorted() ==
                ["cmsRun1-stderr.log", "cmsRun1-stdout.log", "cmsrun-report.xml", "step.json"])
    }

    @Test func repackHarvestCleanupAndLogCollectRun() throws {
        let fixture = RuntimeFixture("aux")
        let gen = try produce(fixture, name: "gen-1", events: 1...60, lumis: 1...3)
        // Repack: one output per dataset by trigger mask; "All" (0) gets everything.
        let repack = fixture.job("repack-1", type: "Repack", inputs: [gen.lfn],
                                 outputs: ["write_A_RAW": RuntimeFixture.spec("RAW", base: "/store/unmerged/data/A/RAW/v1"),
                                           "write_B_RAW": RuntimeFixture.spec("RAW", base: "/store/unmerged/data/B/RAW/v1")],
                                 baggage: ["datasets": .object(["write_A_RAW": .int(0), "write_B_RAW": .int(1)])])
        let repacked = try fixture.run(repack)
        #expect(repacked.status == 0, "\(repacked.stderr)")
        #expect(repacked.output("write_A_RAW")?.events == 60)
        let bEvents = try #require(repacked.output("write_B_RAW")).events
        #expect(bEvents < 60)
        // Harvesting: a DQM summary with the events per run.
        let harvest = fixture.job("harvest-1", type: "Harvesting", inputs: [gen.lfn])
        let harvested = try fixture.run(harvest)
        #expect(harvested.status == 0, "\(harvested.stderr)")
        let summary = try #require(harvested.output(StepPlanner.harvestLabel))
        try expectFileMatches(summary, fixture: fixture)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: summary.pfn)))
        #expect(json.objectValue?["eventsPerRun"]?.objectValue?["1"] == .int(60))
        // LogCollect: the two log archives so far into one tar at the LogCollect LFN.
        let logs = [repacked, harvested].compactMap { $0.output("logArchive")?.lfn }
        let collect = fixture.job("collect-1", type: "LogCollect", inputs: logs + ["/store/unmerged/logs/missing.tar.gz"])
        let collected = try fixture.run(collect)
        #expect(collected.status == 0, "\(collected.stderr)")
        let tarball = try #require(collected.output(StepPlanner.logCollectLabel))
        #expect(tarball.lfn.wholeMatch(of: try Regex(#"^/store/logs/prod/\d{4}/\d{2}/WMAgent/TestWorkflow/TestWorkflow-collect-1-logs\.tar$"#)) != nil)
        let members = try TestSupport.run("/bin/tar", ["-tf", tarball.pfn]).stdout.split(separator: "\n")
        #expect(members.count == 2)
        #expect(collected.report?.skippedFiles.count == 1)
        // Cleanup: deletes the input; a missing one is not an error.
        let cleanup = fixture.job("cleanup-1", type: "Cleanup", inputs: [gen.lfn, "/store/unmerged/gone.root"])
        let cleaned = try fixture.run(cleanup)
        #expect(cleaned.status == 0, "\(cleaned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: gen.pfn))
        #expect(cleaned.report?.parameters["DeletedFiles"] == "1")
    }
}
