import Testing
@testable import JobSplitting

/// AlcaHarvest and Condition (reference §A.6 "AlcaHarvest", "Condition"), one rule per test.
@Suite struct Tier0CalibrationSplitterTests {
    static let now = 100_000.0
    static let timeout = AlcaHarvestParameters(timeout: 3600)

    /// An ALCAPROMPT skim of run 1 covering `lumis`, inserted at `time`.
    func skim(_ name: String, lumis: [Int] = [1, 2], at time: Double = now - 10) -> Tier0File {
        Tier0File(lfn: "/store/unmerged/ALCAPROMPT/\(name).root", run: 1, lumis: lumis, size: 100, events: 10, insertTime: time)
    }

    func harvest(_ files: [Tier0File], closed: Bool = false, stop: Double? = nil, jobGroup: Bool = false,
                 _ parameters: AlcaHarvestParameters = timeout) throws -> [[String]] {
        let input = Tier0SplitInput(files: files, filesetClosed: closed, now: Self.now, runStopTime: stop, jobGroupCreated: jobGroup)
        return try Tier0Splitting.alcaHarvest(input, parameters).jobs.map { $0.files.map(\.lfn) }
    }

    let all = ["/store/unmerged/ALCAPROMPT/a.root", "/store/unmerged/ALCAPROMPT/b.root"]

    @Test func openFilesetWithTimeoutNoJobGroupAndStopPlusTimeoutPastGivesOneJobOverAllFiles() throws {
        let files = [skim("a"), skim("b", lumis: [3])]
        #expect(try harvest(files, stop: Self.now - 3601) == [all])
        // stop + timeout not yet past: nothing
        #expect(try harvest(files, stop: Self.now - 3599) == [])
        #expect(try harvest(files, stop: Self.now - 3600) == [], "stop + timeout < now is strict")
    }

    @Test func openFilesetWithoutStopTimeUsesTheNewestInsertTime() throws {
        // T0: stop is run.stop_time, or the last insert time when that is 0.
        let old = [skim("a", at: Self.now - 7200), skim("b", at: Self.now - 3700)]
        #expect(try harvest(old) == [all])
        #expect(try harvest(old, stop: 0) == [all], "a stop time of 0 means unknown")
        let oneYoung = [skim("a", at: Self.now - 7200), skim("b", at: Self.now - 100)]
        #expect(try harvest(oneYoung) == [], "the newest insert time counts, not the oldest")
        // A known stop time wins over the insert times.
        #expect(try harvest(oneYoung, stop: Self.now - 4000) == [all])
    }

    @Test func openFilesetAfterAJobGroupWaitsForTheClose() throws {
        let files = [skim("a", at: Self.now - 7200), skim("b", at: Self.now - 7200)]
        #expect(try harvest(files, stop: Self.now - 7200, jobGroup: true) == [])
        #expect(try harvest(files, closed: true, jobGroup: true) == [all], "the close releases the rest")
    }

    @Test func openFilesetWithoutTimeoutNeverReleases() throws {
        let files = [skim("a", at: 0), skim("b", at: 0)]
        #expect(try harvest(files, stop: 1, .defaults) == [])
        #expect(try harvest(files, closed: true, .defaults) == [all])
    }

    @Test func closedFilesetWithAFileGivesOneJobElseNone() throws {
        #expect(try harvest([skim("a")], closed: true) == [["/store/unmerged/ALCAPROMPT/a.root"]])
        #expect(try harvest([], closed: true) == [])
        #expect(try harvest([], closed: false, stop: 0) == [])
    }

    @Test func hostileStopTimeOrTimeoutIsRefused() throws {
        #expect(throws: Tier0SplitError.self) { try harvest([skim("a")], stop: .nan) }
        #expect(throws: Tier0SplitError.self) { try harvest([skim("a")], stop: -1) }
        #expect(throws: Tier0SplitError.self) { try harvest([skim("a")], closed: true, stop: .infinity) }
        #expect(throws: Tier0SplitError.self) { try harvest([skim("a")], AlcaHarvestParameters(timeout: -5)) }
        #expect(throws: Tier0SplitError.self) { try harvest([skim("a")], AlcaHarvestParameters(timeout: .infinity)) }
    }

    @Test func conditionMakesNoJobsAndRecordsEveryAvailableFile() throws {
        let files = [skim("a"), skim("b", lumis: [3])]
        for closed in [false, true] {
            let outcome = try Tier0Splitting.condition(Tier0SplitInput(files: files, filesetClosed: closed, now: Self.now))
            #expect(outcome.jobs.isEmpty)
            #expect(outcome.failedFiles.isEmpty)
            #expect(outcome.recordedFiles == all)
        }
        #expect(try Tier0Splitting.condition(Tier0SplitInput(files: [], now: Self.now)).recordedFiles.isEmpty)
    }

    @Test func subscriptionSplitCarriesTheTimeoutAndTheRecordedFiles() throws {
        let files = [SplitFile(lfn: "/store/x/a.root", size: 10, events: 1, locations: ["T0_CH_CERN_Disk"],
                               runs: [FileRun(run: 7, lumis: [1])], insertTime: Self.now - 10)]
        let parameters = SplitParameters(AlcaHarvestParameters(timeout: 5).subscriptionParameters)
        let released = try Tier0Splitting.split(.alcaHarvest, files: files, parameters: parameters, usedLumis: [], filesetClosed: false,
                                                now: Self.now, activeSplitLumis: [], locations: ["T0_CH_CERN_Disk"])
        #expect(released.outcome.groups.flatMap(\.jobs).map { $0.inputFiles.map(\.lfn) } == [["/store/x/a.root"]])
        let held = try Tier0Splitting.split(.alcaHarvest, files: files, parameters: parameters, usedLumis: [], filesetClosed: false,
                                            now: Self.now, activeSplitLumis: [], jobGroupCreated: true, locations: [])
        #expect(held.outcome.groups.isEmpty)
        let condition = try Tier0Splitting.split(.condition, files: files, parameters: SplitParameters([:]), usedLumis: [],
                                                 filesetClosed: false, now: Self.now, activeSplitLumis: [], locations: [])
        #expect(condition.outcome.groups.isEmpty && condition.recordedFiles == ["/store/x/a.root"])
    }
}
