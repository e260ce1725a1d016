import Foundation
import Testing
@testable import JobSplitting

/// The edge cases of wmcore.md §7, one behaviour per test.
@Suite struct EdgeCaseTests {
    func split(_ a: SplittingAlgorithm, _ files: [SplitFile], _ values: [String: ParameterValue],
               _ context: SplitContext = SplitContext(now: 100_000)) throws -> SplitOutcome {
        try JobSplitter.split(a, files: files, parameters: SplitParameters(values), context: context)
    }

    func grid(_ n: Int, lumis: Int = 3, site: String = "T2_CH_CERN") -> [SplitFile] {
        (0..<n).map { i in
            SplitFile(lfn: String(format: "/store/f%02d.root", i), size: 1000, events: 300, locations: [site],
                      runs: [FileRun(run: 1, lumis: Array((lumis * i + 1)...(lumis * i + lumis)))])
        }
    }

    @Test func zeroEventFileGetsOneJobWithoutLastEvent() throws {
        let file = SplitFile(lfn: "/store/empty.root", events: 0, firstEvent: 7, locations: ["T2_CH_CERN"])
        let jobs = try split(.eventBased, [file], ["events_per_job": 100,
                                                   "performance": .object(["timePerEvent": 12, "memoryRequirement": 2300])]).jobs
        #expect(jobs.count == 1)
        #expect(jobs[0].mask.firstEvent == 7 && jobs[0].mask.lastEvent == nil)
        #expect(jobs[0].estimatedJobTime == 0 && jobs[0].estimatedMemoryUsage == 2300)
    }

    @Test func mcLumisPerJobIsCeilingOfEventsPerJobOverEventsPerLumi() throws {
        let fake = SplitFile(lfn: "MCFakeFile-x", events: 1000, firstEvent: 1, lastEvent: 1000, locations: ["T2_CH_CERN"],
                             runs: [FileRun(run: 1, lumis: Array(5...30))])
        let jobs = try split(.eventBased, [fake], ["events_per_job": 150, "events_per_lumi": 60],
                             SplitContext(subscriptionType: .production)).jobs
        #expect(jobs.count == 7)
        #expect(jobs.map { [$0.mask.firstLumi!, $0.mask.lastLumi!] }
                == [[5, 7], [8, 10], [11, 13], [14, 16], [17, 19], [20, 22], [23, 24]])  // last: ceil(100/60) = 2
        #expect(jobs.last?.mask.firstEvent == 901 && jobs.last?.mask.lastEvent == 1000)
        #expect(jobs.allSatisfy { $0.baggage["lheInputFiles"] == .bool(false) && $0.mask.firstRun == 1 })
    }

    @Test func mcEventNumbersWrapPastUInt32Max() throws {
        let start = 4_294_967_000
        let fake = SplitFile(lfn: "MCFakeFile-wrap", events: 500, firstEvent: start, locations: ["T2_CH_CERN"],
                             runs: [FileRun(run: 1, lumis: [1, 2, 3, 4, 5])])
        let jobs = try split(.eventBased, [fake], ["events_per_job": 100], SplitContext(subscriptionType: .production)).jobs
        #expect(jobs.map(\.mask.firstEvent) == [start, start + 100, 1, 101, 201])
        #expect(jobs.map(\.mask.lastEvent) == [start + 99, start + 199, 100, 200, 300])
    }

    @Test func nonPositiveEventsPerJobIsAnError() {
        #expect(throws: SplittingError.self) { try split(.eventBased, grid(1), ["events_per_job": 0]) }
        #expect(throws: SplittingError.self) { try split(.lumiBased, grid(1), ["lumis_per_job": -1]) }
    }

    @Test func minFileBasedHoldsPartialJobsWhileOpen() throws {
        let files = grid(25)
        let open = try split(.minFileBased, files, ["files_per_job": 10], SplitContext(filesetClosed: false))
        #expect(open.jobs.map(\.inputFiles.count) == [10, 10])
        let closed = try split(.minFileBased, files, ["files_per_job": 10], SplitContext(filesetClosed: true))
        #expect(closed.jobs.map(\.inputFiles.count) == [10, 10, 5])
        let few = try split(.minFileBased, grid(4), ["files_per_job": 10], SplitContext(filesetClosed: false))
        #expect(few.jobs.isEmpty)
    }

    @Test func lumiBasedWaitsForAFullJobWhileOpen() throws {
        let files = grid(2)  // 6 lumis
        #expect(try split(.lumiBased, files, ["lumis_per_job": 8], SplitContext(filesetClosed: false)).jobs.isEmpty)
        #expect(try split(.lumiBased, files, ["lumis_per_job": 8], SplitContext(filesetClosed: true)).jobs.count == 1)
        #expect(try split(.eventAwareLumiBased, files, ["events_per_job": 1000], SplitContext(filesetClosed: false)).jobs.isEmpty)
    }

    @Test func lumiBasedRunWhitelistAndFileBoundaries() throws {
        var files = grid(4, lumis: 4)
        files[2].runs = [FileRun(run: 2, lumis: [1, 2, 3, 4])]
        let whitelisted = try split(.lumiBased, files, ["lumis_per_job": 3, "runWhitelist": [2]]).jobs
        #expect(whitelisted.map(\.inputLFNs) == [["/store/f02.root"], ["/store/f02.root"]])
        let halted = try split(.lumiBased, grid(3, lumis: 4), ["lumis_per_job": 3, "halt_job_on_file_boundaries": true]).jobs
        #expect(halted.map { $0.maskLumis.count } == [3, 1, 3, 1, 3, 1])
        let spanning = try split(.lumiBased, grid(3, lumis: 4), ["lumis_per_job": 3]).jobs
        #expect(spanning.map { $0.maskLumis.count } == [3, 3, 3, 3])
        let limited = try split(.lumiBased, grid(3, lumis: 4), ["lumis_per_job": 3, "total_lumis": 5]).jobs
        #expect(limited.flatMap(\.maskLumis).count == 5)
    }

    @Test func lumiCorrectionAttachesTheFileOfASplitLumi() throws {
        var files = grid(2, lumis: 2)  // lumis 1,2 and 3,4
        files.append(SplitFile(lfn: "/store/split.root", events: 10, locations: ["T2_CH_CERN"],
                               runs: [FileRun(run: 1, lumis: [2, 5])]))
        let jobs = try split(.lumiBased, files, ["lumis_per_job": 2, "applyLumiCorrection": true]).jobs
        let owner = try #require(jobs.first { $0.maskLumis.contains(RunLumiKey(run: 1, lumi: 2)) })
        #expect(owner.inputLFNs.contains("/store/split.root"))
        #expect(jobs.flatMap(\.maskLumis).count == 5)  // lumi 2 once, plus 1, 3, 4, 5
    }

    @Test func slowSingleLumiFileBecomesAJobFailedAtCreation() throws {
        var files = grid(3)
        files[1] = SplitFile(lfn: "/store/f01.root", events: 20_000, locations: ["T2_CH_CERN"], runs: [FileRun(run: 1, lumis: [4])])
        let values: [String: ParameterValue] = ["events_per_job": 300, "job_time_limit": 3600,
                                                "performance": .object(["timePerEvent": 1])]
        let jobs = try split(.eventAwareLumiBased, files, values).jobs
        let failed = jobs.filter { $0.creationFailure != nil }
        #expect(failed.count == 1)
        #expect(failed.first?.creationFailure?.code == 99305)
        #expect(failed.first?.inputLFNs == ["/store/f01.root"])
        #expect(failed.first?.creationFailure?.reason.contains("single lumi 4") == true)
        let noFailure = try split(.eventAwareLumiBased, files, values.merging(["allowCreationFailure": false]) { $1 }).jobs
        #expect(noFailure.allSatisfy { $0.creationFailure == nil })

        let byWork = try split(.eventAwareLumiByWork, files, values).jobs
        #expect(byWork.filter { $0.creationFailure?.code == 99305 }.map(\.inputLFNs) == [["/store/f01.root"]])
        #expect(byWork.filter { $0.creationFailure == nil }.flatMap(\.maskLumis).count == 6)
    }

    @Test func jobLimitExceededIsAnError() {
        #expect(throws: SplittingError.jobLimitExceeded(limit: 2)) {
            try split(.eventAwareLumiBased, grid(10), ["events_per_job": 300, "job_limit": 2])
        }
    }

    @Test func parentlessMergeWaitsUntilMaxWaitTime() throws {
        let files = grid(3).map { var f = $0; f.insertTime = 1_000; return f }  // 3 kB, under min_merge_size
        let values: [String: ParameterValue] = ["min_merge_size": 10_000, "max_wait_time": 3_600]
        let young = try split(.parentlessMergeBySize, files, values, SplitContext(filesetClosed: false, now: 2_000))
        #expect(young.jobs.isEmpty)
        let old = try split(.parentlessMergeBySize, files, values, SplitContext(filesetClosed: false, now: 10_000))
        #expect(old.jobs.map(\.inputLFNs) == [files.map(\.lfn)])
        let expectedTime: Double = 300 + 3_000.0 * 4 / 5_000_000
        let expectedDisk: Double = 4_000.0 / 1024
        #expect(old.jobs[0].estimatedJobTime == expectedTime)
        #expect(old.jobs[0].estimatedDiskUsage == expectedDisk)
        let forced = try split(.parentlessMergeBySize, files, values, SplitContext(filesetClosed: true, now: 2_000))
        #expect(forced.jobs.count == 1)
        let notInjected = try split(.parentlessMergeBySize, files, values,
                                    SplitContext(filesetClosed: true, workflowInjected: false, now: 2_000))
        #expect(notInjected.jobs.isEmpty)
    }

    @Test func parentlessMergeSplitsOnSizeEventsAndRuns() throws {
        var files = grid(6)
        files[5].runs = [FileRun(run: 2, lumis: [1])]
        let bySize = try split(.parentlessMergeBySize, files, ["max_merge_size": 2_500, "min_merge_size": 1])
        #expect(bySize.jobs.map(\.inputFiles.count) == [2, 2, 2])
        let byEvents = try split(.parentlessMergeBySize, files, ["max_merge_events": 900, "min_merge_size": 1])
        #expect(byEvents.jobs.map(\.inputFiles.count) == [3, 3])
        let perRun = try split(.parentlessMergeBySize, files, ["merge_across_runs": false])
        #expect(perRun.jobs.map(\.inputFiles.count) == [5, 1])
    }

    @Test func wmbsMergeFailsOrphansOnClose() throws {
        let files = grid(4).enumerated().map { i, f in var f = f; f.parents = ["/store/parent\(i % 2).root"]; return f }
        let good: Set<String> = ["/store/parent0.root"]
        let open = try split(.wmbsMergeBySize, files, ["min_merge_size": 1],
                             SplitContext(filesetClosed: false, succeededParentLFNs: good))
        #expect(open.failedFiles.isEmpty)
        #expect(open.jobs.map(\.inputLFNs) == [["/store/f00.root", "/store/f02.root"]])
        let closed = try split(.wmbsMergeBySize, files, ["min_merge_size": 100_000],
                               SplitContext(filesetClosed: true, succeededParentLFNs: good))
        #expect(closed.failedFiles == ["/store/f01.root", "/store/f03.root"])
        #expect(closed.jobs.map(\.inputLFNs) == [["/store/f00.root", "/store/f02.root"]])
        #expect(closed.jobs[0].estimatedDiskUsage == 2_000.0 / 1024)
    }

    @Test func siblingProcessingWaitsThenFlushesAndFails() throws {
        let files = grid(25)
        let done = Set(files.prefix(23).map(\.lfn))
        let failed: Set<String> = [files[23].lfn]
        let open = try split(.siblingProcessingBased, files, ["files_per_job": 10],
                             SplitContext(filesetClosed: false, siblingCompletedLFNs: done, siblingFailedLFNs: failed))
        #expect(open.jobs.map(\.inputFiles.count) == [10, 10])
        #expect(open.failedFiles.isEmpty)
        let closed = try split(.siblingProcessingBased, files, ["files_per_job": 10],
                               SplitContext(filesetClosed: true, siblingCompletedLFNs: done, siblingFailedLFNs: failed))
        #expect(closed.jobs.map(\.inputFiles.count) == [10, 10, 3])
        #expect(closed.failedFiles == [files[23].lfn])
    }

    @Test func harvestByRunAndMultiRun() throws {
        var files = grid(4)
        files[3].runs = [FileRun(run: 2, lumis: [1, 2])]
        let endOfRun = try split(.harvest, files, [:], SplitContext(filesetClosed: true))
        #expect(endOfRun.jobs.count == 2)
        #expect(endOfRun.jobs[0].mask.runAndLumis == [RunLumiRanges(run: 1, ranges: [[1, 9]])])
        #expect(endOfRun.jobs.map(\.nameSuffix) == ["EndOfRun-Harvest-1", "EndOfRun-Harvest-2"])
        #expect(endOfRun.jobs.allSatisfy { $0.baggage["runIsComplete"] == .bool(true) })
        let multi = try split(.harvest, files, ["dqmHarvestUnit": "multiRun"], SplitContext(filesetClosed: true))
        #expect(multi.jobs.count == 1 && multi.jobs[0].inputFiles.count == 4)
        #expect(multi.jobs[0].baggage["runLimits"] == .string("-1-2"))
        #expect(try split(.harvest, files, [:], SplitContext(filesetClosed: false)).jobs.isEmpty)
    }

    @Test func periodicHarvestWaitsForTheInterval() throws {
        let files = grid(2)
        let values: [String: ParameterValue] = ["periodic_harvest_interval": 600]
        let first = try split(.harvest, files, values, SplitContext(filesetClosed: false, now: 1_000))
        #expect(first.jobs.map(\.nameSuffix) == ["Periodic-Harvest-1"])
        let tooSoon = SplitContext(filesetClosed: false, now: 1_000, lastHarvestJobFinished: 900)
        #expect(try split(.harvest, files, values, tooSoon).jobs.isEmpty)
        let running = SplitContext(filesetClosed: false, now: 5_000, lastHarvestJobFinished: 900, harvestJobsInProgress: true)
        #expect(try split(.harvest, files, values, running).jobs.isEmpty)
        let later = SplitContext(filesetClosed: false, now: 5_000, lastHarvestJobFinished: 900)
        #expect(try split(.harvest, files, values, later).jobs.count == 1)
    }

    @Test func trustSiteListsMakesOneGroup() throws {
        let files = grid(2, site: "T1_US_FNAL_Disk") + grid(2, site: "T2_CH_CERN").map { var f = $0; f.lfn += ".b"; return f }
        #expect(try split(.fileBased, files, ["files_per_job": 1]).groups.count == 2)
        let trusted = try split(.fileBased, files, ["files_per_job": 1], SplitContext(trustSiteLists: true))
        #expect(trusted.groups.map(\.locations) == [["AAA"]])
    }

    @Test func fileBasedTotalFilesAndJobsPerGroup() throws {
        let files = grid(10)
        #expect(try split(.fileBased, files, ["files_per_job": 2, "total_files": 5]).jobs.map(\.inputFiles.count) == [2, 2, 1])
        // WMCore's quirk: a new group only once jobsInGroup > jobs_per_group.
        #expect(try split(.fileBased, files, ["files_per_job": 1, "jobs_per_group": 2]).groups.map(\.jobs.count) == [3, 3, 3, 1])
    }

    @Test func parametersFromJSONAndTypeErrors() throws {
        let params = try SplitParameters(json: Data(#"{"events_per_job": "250", "splitOnRun": 0, "runs": [1], "lumis": ["1,4"]}"#.utf8))
        #expect(try params.int("events_per_job", default: 1) == 250)
        #expect(params.bool("splitOnRun", default: true) == false)
        #expect(try params.stringList("runs") == ["1"])
        #expect(throws: SplittingError.invalidParameter(name: "files_per_job", expected: "an integer", found: "list")) {
            try split(.fileBased, grid(1), ["files_per_job": [1]])
        }
        #expect(throws: SplittingError.self) { try SplitParameters(json: Data("[1]".utf8)) }
        #expect(throws: SplittingError.missingParameter(name: "merge_size", algorithm: "MergeBySize")) {
            try split(.mergeBySize, grid(1), [:])
        }
        #expect(throws: SplittingError.self) { try split(.lumiBased, grid(1), ["runs": ["1"], "lumis": ["1,2,3"]]) }
        #expect(SplittingError.jobLimitExceeded(limit: 3).description.contains("job_limit"))
    }
}
