import Testing
@testable import JobSplitting

/// The Tier-0 splitters, one rule of reference §A.6 (tier0-and-fjr.md) per test; names cite the rule.
@Suite struct Tier0SplitterTests {
    static let now = 100_000.0
    /// Data inserted this long ago is older than every maxLatency below; `young` is newer than all of them.
    static let old = now - 50_000
    static let young = now - 10

    /// A streamer (or one-lumi output) named after its lumi and a tag.
    func file(_ lumi: Int, _ tag: String = "a", size: Int = 100, events: Int = 10, at time: Double = young) -> Tier0File {
        Tier0File(lfn: "/store/t0/run1/ls\(lumi)_\(tag).dat", run: 1, lumi: lumi, size: size, events: events, insertTime: time)
    }

    /// Small Repack limits: 1000 bytes per lumi, 500 per multi-lumi job, 100 events, 5 files, 1 h.
    let repackLimits = RepackParameters(maxSizeSingleLumi: 1000, maxSizeMultiLumi: 500, maxInputEvents: 100,
                                        maxInputFiles: 5, maxLatency: 3600)
    /// Small RepackMerge limits: min 300, max 500, 100 events, 5 files, edm 1000, over 700, 1 h.
    let mergeLimits = RepackMergeParameters(minInputSize: 300, maxInputSize: 500, maxInputEvents: 100, maxInputFiles: 5,
                                            maxEdmSize: 1000, maxOverSize: 700, maxLatency: 3600)

    func repack(_ files: [Tier0File], used: Set<Int> = [], closed: Bool = false,
                _ limits: RepackParameters? = nil) throws -> Tier0SplitOutcome {
        try Tier0Splitting.repack(Tier0SplitInput(files: files, usedLumis: used, filesetClosed: closed, now: Self.now),
                                  limits ?? repackLimits)
    }

    func merge(_ files: [Tier0File], used: Set<Int> = [], closed: Bool = false, split: Set<Int> = [],
               _ limits: RepackMergeParameters? = nil) throws -> Tier0SplitOutcome {
        try Tier0Splitting.repackMerge(Tier0SplitInput(files: files, usedLumis: used, filesetClosed: closed, now: Self.now,
                                                       activeSplitLumis: split), limits ?? mergeLimits)
    }

    /// Each job's files as their tags "lumi_tag" (e.g. "3_a"), to compare whole outcomes at a glance.
    func tags(_ outcome: Tier0SplitOutcome) -> [[String]] {
        outcome.jobs.map { $0.files.map { String($0.lfn.split(separator: "/").last!.dropFirst(2).dropLast(4)) } }
    }

    // MARK: shared lumi walk (Repack and RepackMerge)

    @Test func walkUsedLumiWithoutEarlierHoleEmitsWithForce() throws {
        let files = [file(1), file(2)]
        #expect(try tags(repack(files)) == [])  // fileset open, nothing after: below thresholds, held
        #expect(try tags(repack(files, used: [3])) == [["1_a", "2_a"]])  // used lumi 3: force
    }

    @Test func walkFirstHoleEmitsWithoutForceSoOnlyThresholdsApply() throws {
        // lumi 1 and 2 do not fit one job (600 > maxSizeMultiLumi 500): lumi 1 is emitted, lumi 2 (below thresholds) held
        let files = [file(1, size: 300), file(2, size: 300), file(4)]
        #expect(try tags(repack(files)) == [["1_a"]])
    }

    @Test func walkHoleAfterAnEarlierHoleDropsYoungData() throws {
        // lumi 3 is big (would be split at once); behind hole 2 it is dropped at hole 4 while young
        let big = [file(3, "a", size: 600), file(3, "b", size: 600)]
        #expect(try tags(repack([file(1)] + big + [file(5)])) == [])
        // without hole 2 the same lumi is defined (without force) at hole 4 and split
        #expect(try tags(repack([file(1), file(2)] + big + [file(5)])) == [["1_a", "2_a"], ["3_a"], ["3_b"]])
    }

    @Test func walkMaxLatencyForcesDataBehindHoles() throws {
        #expect(try tags(repack([file(1), file(3)])) == [])
        #expect(try tags(repack([file(1, at: Self.old), file(3, at: Self.old)])) == [["1_a"], ["3_a"]])
        // age is measured from the newest pending file: one young file in the lumi keeps it young
        #expect(try tags(repack([file(1, at: Self.old), file(3, "a", at: Self.old), file(3, "b")])) == [["1_a"]])
    }

    @Test func walkUsedLumiAfterHoleDropsYoungDataAndClearsTheHoleFlag() throws {
        // 1 held at hole 2 (no force); 3 dropped at used 4 (hole seen, young); 5 forced at the end: closed, no hole
        #expect(try tags(repack([file(1), file(3), file(5)], used: [4], closed: true)) == [["5_a"]])
        #expect(try tags(repack([file(1), file(3, at: Self.old), file(5)], used: [4], closed: true)) == [["3_a"], ["5_a"]])
    }

    @Test func walkForceAtCloseOnlyWithoutAHole() throws {
        #expect(try tags(repack([file(1), file(2)], closed: true)) == [["1_a", "2_a"]])
        #expect(try tags(repack([file(1), file(3)], closed: true)) == [])  // hole 2: young data waits even when closed
    }

    @Test func walkUsedLumisAreWalkedAroundAndEmptyLumisCountAsUsed() throws {
        // lumis 1-3 used (done, or empty and closed): 4 and 5 follow without a hole and are forced at used lumi 6
        #expect(try tags(repack([file(4), file(5)], used: [1, 2, 3, 6])) == [["4_a", "5_a"]])
    }

    // MARK: Repack

    @Test func repackBigLumiIsSplitFirstFitAfterTheCurrentJob() throws {
        let big = [file(2, "a", size: 600), file(2, "b", size: 600), file(2, "c", size: 300), file(2, "d", size: 200)]
        let outcome = try repack([file(1)] + big, used: [3])
        #expect(tags(outcome) == [["1_a"], ["2_a", "2_c"], ["2_b", "2_d"]])
    }

    @Test func repackBigLumiByEventsIsSplitToo() throws {
        let outcome = try repack([file(1, "a", events: 60), file(1, "b", events: 60)], used: [2])
        #expect(tags(outcome) == [["1_a"], ["1_b"]])
    }

    @Test func repackSplitLumiRecordOnlyWhenMoreThanOneJob() throws {
        let split = try repack([file(1, "a", size: 600), file(1, "b", size: 600), file(1, "c", size: 100)])
        #expect(split.splitLumis == [Tier0SplitLumi(run: 1, lumi: 1, nfiles: 3)])
        let single = try repack([file(1, size: 2000)])  // one streamer over the limit: one job, no record
        #expect(tags(single) == [["1_a"]] && single.splitLumis.isEmpty)
    }

    @Test func repackFileLimitNotUsedForBigLumis() throws {
        let files = (0..<6).map { file(1, "f\($0)", size: 200) }  // 1200 bytes > 1000: big lumi
        let limits = RepackParameters(maxSizeSingleLumi: 1000, maxSizeMultiLumi: 500, maxInputEvents: 100,
                                      maxInputFiles: 2, maxLatency: 3600)
        let outcome = try repack(files, limits)
        #expect(outcome.jobs.map(\.files.count) == [5, 1])
    }

    @Test func repackSmallLumisPackedUnderSizeEventsAndFiles() throws {
        // files: 2 + 2 + 2 > maxInputFiles 5
        let byFiles = try repack((1...3).flatMap { [file($0, "a", size: 10), file($0, "b", size: 10)] }, closed: true)
        #expect(byFiles.jobs.map(\.files.count) == [4, 2])
        // events: 40 + 40 + 40 > 100
        let byEvents = try repack((1...3).map { file($0, events: 40) }, closed: true)
        #expect(tags(byEvents) == [["1_a", "2_a"], ["3_a"]])
        // the first lumi of a job is always taken, even over maxSizeMultiLumi
        #expect(try tags(repack([file(1, size: 900), file(2)], closed: true)) == [["1_a"], ["2_a"]])
    }

    @Test func repackLeftoversOnlyWithForce() throws {
        #expect(try repack([file(1), file(2)], closed: false).jobs.isEmpty)
        #expect(try repack([file(1), file(2)], closed: true).jobs.count == 1)
    }

    @Test func repackCoresAndTimeEstimate() throws {
        let limits = RepackParameters.production
        let job = try #require(try repack([file(1, size: 45_000_000_000, events: 1000)], closed: true, limits).jobs.first)
        #expect(job.cores == 3)  // 1 + ⌊45e9/20e9⌋
        #expect(job.estimatedTime == 300 + 45e9 / 1.5e6 + 2 * 45e9 / 5e6)
        #expect(try repack([file(1, size: 19_999_999_999)], closed: true, limits).jobs.first?.cores == 1)
    }

    @Test func repackCoresOver8FailsTheStreamersWithoutAJob() throws {
        let limits = RepackParameters(maxSizeSingleLumi: 1 << 45, maxSizeMultiLumi: 1000, maxInputEvents: 1000,
                                      maxInputFiles: 1000, maxLatency: 3600)
        // 180e9 bytes: 1 + 9 = 10 cores
        let outcome = try repack([file(1, "a", size: 90_000_000_000), file(1, "b", size: 90_000_000_000), file(2)],
                                 closed: true, limits)
        #expect(outcome.failedFiles.map(\.lfn) == ["/store/t0/run1/ls1_a.dat", "/store/t0/run1/ls1_b.dat"])
        #expect(outcome.failedFiles.first?.reason == .tooManyCores(cores: 10, size: 180_000_000_000))
        #expect(tags(outcome) == [["2_a"]])
        // 8 cores (up to 160e9 − 1 bytes) still run
        #expect(try repack([file(1, size: 159_999_999_999)], closed: true, limits).jobs.first?.cores == 8)
    }

    // MARK: split-lumi end rule

    @Test func splitLumiEndsWhenCompleteFileCountEqualsNfiles() {
        let record = Tier0SplitLumi(run: 1, lumi: 7, nfiles: 3)
        #expect(!record.isFinished(completeFileCount: 2))
        #expect(record.isFinished(completeFileCount: 3))
    }

    // MARK: RepackMerge

    @Test func repackMergeOverMaxEdmSizeGoesToTheErrorDatasetSplitFirstFit() throws {
        let lumi = [file(2, "a", size: 600, events: 7), file(2, "b", size: 600, events: 8), file(2, "c", size: 300, events: 9)]
        let outcome = try merge([file(1)] + lumi, used: [3])
        #expect(tags(outcome) == [["1_a"], ["2_a", "2_c"], ["2_b"]])
        #expect(outcome.jobs.map(\.useErrorDataset) == [false, true, true])
        // quirk: the Error job's estimate uses its event count (16) as its size
        #expect(outcome.jobs[1].estimatedTime == 300 + 16.0 * 3 / 5e6)
        #expect(outcome.jobs[1].size == 900)
    }

    @Test func repackMergeLumiOverMaxInputSizeEventsOrFilesIsMergedAlone() throws {
        #expect(try tags(merge([file(1), file(2, size: 600), file(3)], used: [4])) == [["1_a"], ["2_a"], ["3_a"]])
        #expect(try tags(merge([file(1), file(2, events: 101), file(3)], used: [4])) == [["1_a"], ["2_a"], ["3_a"]])
        let sixFiles = (0..<6).map { file(2, "f\($0)", size: 10) }
        #expect(try merge([file(1)] + sixFiles, used: [3]).jobs.map(\.files.count) == [1, 6])
    }

    @Test func repackMergeMinInputSizeEmitsABigEnoughJobAndStartsAnew() throws {
        // 400 > minInputSize 300; adding 200 would pass maxInputSize 500
        #expect(try tags(merge([file(1, size: 400), file(2, size: 200)], used: [3])) == [["1_a"], ["2_a"]])
    }

    @Test func repackMergeMaxOverSizeTakesTheLumiIntoATooSmallJob() throws {
        // 250 ≤ minInputSize; 250 + 400 = 650 ≤ maxOverSize 700: one job of both, emitted at once
        let over = try merge([file(1, size: 250), file(2, size: 400), file(3, size: 100)], used: [4])
        #expect(tags(over) == [["1_a", "2_a"], ["3_a"]])
        #expect(over.jobs[0].estimatedTime == 300 + 250.0 * 3 / 5e6)  // quirk: the size before the add
        // 250 + 480 = 730 > 700: the too-small job is emitted alone
        #expect(try tags(merge([file(1, size: 250), file(2, size: 480)], used: [3])) == [["1_a"], ["2_a"]])
    }

    @Test func repackMergeMaxOverSizeIsAtMostMaxEdmSize() throws {
        let limits = RepackMergeParameters(minInputSize: 300, maxInputSize: 500, maxInputEvents: 100, maxInputFiles: 5,
                                           maxEdmSize: 600, maxOverSize: 5000, maxLatency: 3600)
        // 250 + 400 = 650 > maxEdmSize 600 (not the configured 5000): two jobs
        #expect(try tags(merge([file(1, size: 250), file(2, size: 400)], used: [3], limits)) == [["1_a"], ["2_a"]])
    }

    @Test func repackMergeExcludesActiveSplitLumis() throws {
        // lumi 2 still split: its file waits and lumi 2 is a hole, so 3 is held behind it
        let files = [file(1), file(2), file(3)]
        #expect(try tags(merge(files, closed: true, split: [2])) == [])
        #expect(try tags(merge(files, closed: true)) == [["1_a", "2_a", "3_a"]])
    }

    @Test func repackMergeMultiLumiFileCoversItsLumisSoTheyAreNoHoles() throws {
        let spanning = Tier0File(lfn: "/store/t0/run1/ls1_a.dat", run: 1, lumis: [1, 3], size: 100, events: 10,
                                 insertTime: Self.young)
        // lumi 2 is covered by the file (first 1, last 3): the used lumi 4 forces it
        #expect(try tags(merge([spanning], used: [4])) == [["1_a"]])
        // a one-lumi file at 1 and a gap at 2: held at hole 2, dropped at used 4
        #expect(try tags(merge([file(1), file(3)], used: [4])) == [])
    }

    @Test func repackMergeCoresCountTheLargestFileAndOver8Throws() throws {
        let limits = RepackMergeParameters(minInputSize: 1, maxInputSize: 1000, maxInputEvents: 1000, maxInputFiles: 10,
                                           maxEdmSize: 1 << 45, maxOverSize: 1 << 45, maxLatency: 3600)
        let job = try #require(try merge([file(1, size: 30_000_000_000)], closed: true, limits).jobs.first)
        #expect(job.cores == 4)  // 1 + ⌊(30e9 + 30e9)/20e9⌋
        #expect(throws: Tier0SplitError.mergeNeedsTooManyCores(cores: 11, firstFile: "/store/t0/run1/ls1_a.dat")) {
            try merge([file(1, size: 100_000_000_000)], closed: true, limits)
        }
    }

    // MARK: Express

    func express(_ files: [Tier0File], _ limits: ExpressParameters = ExpressParameters(maxInputRate: 100, maxInputEvents: 20,
                                                                                       timePerEvent: 4, sizePerEvent: 1700))
        throws -> Tier0SplitOutcome {
        try Tier0Splitting.express(Tier0SplitInput(files: files, now: Self.now), limits)
    }

    @Test func expressMaxInputRateFailsTheWholeLumi() throws {
        let outcome = try express([file(1, "a", events: 60), file(1, "b", events: 60), file(2, events: 5)])
        #expect(outcome.failedFiles.map(\.lfn) == ["/store/t0/run1/ls1_a.dat", "/store/t0/run1/ls1_b.dat"])
        #expect(outcome.failedFiles[0].reason == .lumiOverMaxInputRate(lumi: 1, events: 120, maxInputRate: 100))
        #expect(tags(outcome) == [["2_a"]])
    }

    @Test func expressSplitsFirstFitByMaxInputEventsWithASplitLumiRecord() throws {
        let outcome = try express([file(1, "a", events: 15), file(1, "b", events: 6), file(1, "c", events: 5), file(2)])
        #expect(tags(outcome) == [["1_a", "1_c"], ["1_b"], ["2_a"]])
        #expect(outcome.splitLumis == [Tier0SplitLumi(run: 1, lumi: 1, nfiles: 3)])
    }

    @Test func expressHasNoLatencyHoleOrCloseLogic() throws {
        // young lumis behind holes, open fileset: each lumi is its own job at once
        #expect(try tags(express([file(5), file(1), file(9)])) == [["1_a"], ["5_a"], ["9_a"]])
    }

    @Test func expressTimeEstimateIsCappedAt47Hours() throws {
        let limits = ExpressParameters(maxInputRate: 23_000, maxInputEvents: 400, timePerEvent: 4, sizePerEvent: 1700)
        let job = try #require(try express([file(1, size: 1_000_000, events: 400)], limits).jobs.first)
        let expected: Double = 600 + 1e6 / 5e5 + 400.0 * 4 + 400.0 * 1700 * 2 / 5e6
        #expect(job.estimatedTime == expected)
        let slow = ExpressParameters(maxInputRate: 23_000, maxInputEvents: 400, timePerEvent: 1000, sizePerEvent: 1700)
        #expect(try express([file(1, events: 400)], slow).jobs.first?.estimatedTime == 47 * 3600)
    }

    // MARK: ExpressMerge

    func expressMerge(_ files: [Tier0File], split: Set<Int> = [], maxLatency: Double = 345, maxFiles: Int = 3,
                      maxSize: Int = 1000) throws -> Tier0SplitOutcome {
        try Tier0Splitting.expressMerge(Tier0SplitInput(files: files, now: Self.now, activeSplitLumis: split),
                                        ExpressMergeParameters(maxInputSize: maxSize, maxInputFiles: maxFiles, maxLatency: maxLatency))
    }

    @Test func expressMergeLatencyAYoungFirstLumiStopsTheWalk() throws {
        #expect(try tags(expressMerge([file(1), file(2, at: Self.old)])) == [])
    }

    @Test func expressMergeAgeIsNotCheckedForLumisAddedInSequence() throws {
        #expect(try tags(expressMerge([file(1, at: Self.old), file(2, at: Self.old), file(3)])) == [["1_a", "2_a", "3_a"]])
    }

    @Test func expressMergeGapEmitsAndRestartsOnlyWithAnOldLumi() throws {
        #expect(try tags(expressMerge([file(1, at: Self.old), file(2, at: Self.old), file(4)])) == [["1_a", "2_a"]])
        #expect(try tags(expressMerge([file(1, at: Self.old), file(2, at: Self.old), file(4, at: Self.old), file(5)]))
                == [["1_a", "2_a"], ["4_a", "5_a"]])
    }

    @Test func expressMergeMaxLatency0MergesLumiByLumi() throws {
        #expect(try tags(expressMerge([file(1), file(2), file(3)], maxLatency: 0)) == [["1_a"], ["2_a"], ["3_a"]])
    }

    @Test func expressMergeLimitsStartANewJobAndLeftoversAreAlwaysEmitted() throws {
        let files = (1...4).map { file($0, at: Self.old) }
        #expect(try tags(expressMerge(files, maxFiles: 3)) == [["1_a", "2_a", "3_a"], ["4_a"]])
        #expect(try tags(expressMerge([file(1, size: 600, at: Self.old), file(2, size: 600)])) == [["1_a"], ["2_a"]])
    }

    @Test func expressMergeIgnoresActiveSplitLumis() throws {
        // lumi 2 still split: its file waits, and 3 is out of sequence (young: the walk stops)
        #expect(try tags(expressMerge([file(1, at: Self.old), file(2, at: Self.old), file(3)], split: [2])) == [["1_a"]])
    }

    // MARK: parameters and input checks

    @Test func defaultAndProductionParametersAreT0s() {
        let gib = 1024 * 1024 * 1024
        #expect(RepackParameters.defaults == RepackParameters(maxSizeSingleLumi: 10 * gib, maxSizeMultiLumi: 8 * gib,
                                                              maxInputEvents: 10_000_000, maxInputFiles: 1000, maxLatency: 43200))
        #expect(RepackParameters.production.maxSizeSingleLumi == 24 * gib && RepackParameters.production.maxInputEvents == 3_000_000
                && RepackParameters.production.maxLatency == 3600)
        #expect(RepackMergeParameters.defaults.minInputSize == 2_254_857_830 && RepackMergeParameters.defaults.maxInputSize == 4 * gib
                && RepackMergeParameters.defaults.maxEdmSize == 10 * gib && RepackMergeParameters.defaults.maxOverSize == 8 * gib)
        #expect(RepackMergeParameters.production.maxEdmSize == 24 * gib && RepackMergeParameters.production.maxLatency == 3600)
        #expect(ExpressParameters.defaults.maxInputRate == 23_000 && ExpressParameters.defaults.maxInputEvents == 200)
        #expect(ExpressParameters.production.maxInputEvents == 400)
        #expect(ExpressMergeParameters.defaults == ExpressMergeParameters(maxInputSize: 2 * gib, maxInputFiles: 500, maxLatency: 345))
        #expect(ExpressMergeParameters.production.maxInputFiles == 15)
    }

    @Test func inputOutOfRangeIsRefusedNamingFileAndField() throws {
        #expect(throws: Tier0SplitError.invalidFile(lfn: "/store/t0/run1/ls1_a.dat", field: "size", found: "-1",
                                                    allowed: "0...\(1 << 50)")) {
            try repack([file(1, size: -1)])
        }
        let twoLumis = Tier0File(lfn: "/x", run: 1, lumis: [1, 2], size: 1, events: 1, insertTime: 0)
        #expect(throws: Tier0SplitError.self) { try repack([twoLumis]) }
        #expect(throws: Tier0SplitError.self) { try repack([file(0)]) }
        let otherRun = Tier0File(lfn: "/y", run: 2, lumi: 1, size: 1, events: 1, insertTime: 0)
        #expect(throws: Tier0SplitError.self) { try merge([file(1), otherRun]) }
        let negative = RepackParameters(maxSizeSingleLumi: -1, maxSizeMultiLumi: 1, maxInputEvents: 1, maxInputFiles: 1, maxLatency: 1)
        #expect(throws: Tier0SplitError.invalidParameter(name: "maxSizeSingleLumi", found: "-1", allowed: "0...\(1 << 50)")) {
            try repack([file(1)], negative)
        }
        let infinite = ExpressMergeParameters(maxInputSize: 1, maxInputFiles: 1, maxLatency: .infinity)
        #expect(throws: Tier0SplitError.self) {
            try Tier0Splitting.expressMerge(Tier0SplitInput(files: [], now: 0), infinite)
        }
    }

    @Test func hugeLumiNumbersAreWalkedWithoutVisitingEveryLumi() throws {
        let top = Tier0File.maximumRunOrLumi
        let files = [file(top - 1, at: Self.old), file(top, at: Self.old)]
        #expect(try tags(repack(files, used: [1])) == [["\(top - 1)_a", "\(top)_a"]])  // behind the hole 2…, old: forced
    }

    /// T0's walk visiting every lumi 1 … max, as a yardstick: the calls to `define` as (lumis with files → force).
    func referenceWalk(_ data: [Int: [Tier0File]], covered: Set<Int>, used: Set<Int>, closed: Bool) -> [[Int]: Bool] {
        var calls: [[Int]: Bool] = [:]
        var pending: [Int: [Tier0File]] = [:]
        var hole = false
        func define(_ force: Bool) {
            let lumis = pending.filter { !$0.value.isEmpty }.keys.sorted()
            if !lumis.isEmpty { calls[lumis] = force }
        }
        func isOld() -> Bool { Self.now - pending.values.joined().map(\.insertTime).reduce(0, max) > 3600 }
        let top = max(used.max() ?? 0, data.keys.max() ?? 0, covered.max() ?? 0)
        for lumi in stride(from: 1, through: top, by: 1) {
            if data[lumi] != nil || covered.contains(lumi) {
                pending[lumi] = data[lumi] ?? []
            } else if used.contains(lumi) {
                if !pending.isEmpty {
                    if !hole || isOld() { define(true) }
                    pending = [:]
                }
                hole = false
            } else {
                if !pending.isEmpty {
                    if isOld() { define(true) } else if !hole { define(false) }
                    pending = [:]
                }
                hole = true
            }
        }
        if hole { if isOld() { define(true) } } else { define(closed) }
        return calls
    }

    @Test func walkSkippingHoleRunsDecidesAsTheLumiByLumiWalk() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        var definesSeen = 0
        for _ in 0..<500 {
            var data: [Int: [Tier0File]] = [:]
            var spans: [ClosedRange<Int>] = []
            var used: Set<Int> = []
            for lumi in 1...30 {
                switch next(7) {
                case 0, 1: data[lumi] = [file(lumi, at: next(2) == 0 ? Self.old : Self.young)]
                case 2: used.insert(lumi)
                case 3: spans.append(lumi...(lumi + next(4)))
                default: break
                }
            }
            for span in spans where data[span.lowerBound] == nil { data[span.lowerBound] = [file(span.lowerBound)] }
            let covered = Set(spans.flatMap { Array($0) })
            let closed = next(2) == 0
            var calls: [[Int]: Bool] = [:]
            Tier0LumiWalk.walk(dataLumis: data, coverage: Tier0LumiCoverage(spans), usedLumis: used, now: Self.now,
                               maxLatency: 3600, filesetClosed: closed) { pending, force in
                let lumis = pending.filter { !$0.files.isEmpty }.map(\.lumi)
                if !lumis.isEmpty { calls[lumis] = force }
            }
            definesSeen += calls.count
            #expect(calls == referenceWalk(data, covered: covered, used: used, closed: closed))
        }
        #expect(definesSeen > 500)  // the comparison saw real decisions, not empty walks
    }

}
