import Foundation
import Testing
@testable import JobSplitting

/// A small seeded generator (SplitMix64) so every property run is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random inputs: files over a few sites with contiguous, distinct lumis spread over runs.
enum RandomInput {
    static let sites = ["T1_US_FNAL_Disk", "T2_CH_CERN", "T2_DE_DESY"]

    static func files(_ rng: inout SeededGenerator, count: Int? = nil) -> [SplitFile] {
        let n = count ?? Int.random(in: 1...40, using: &rng)
        var run = Int.random(in: 1...5, using: &rng)
        var lumi = 1
        return (0..<n).map { i in
            if Int.random(in: 0..<5, using: &rng) == 0 { run += 1; lumi = 1 }
            let lumis = Int.random(in: 1...6, using: &rng)
            defer { lumi += lumis + (Int.random(in: 0..<4, using: &rng) == 0 ? 2 : 0) }
            return SplitFile(lfn: String(format: "/store/data/P/RAW/v1/f%03d.root", (i * 37) % 997),
                             size: Int.random(in: 0...5_000, using: &rng),
                             events: Int.random(in: 0..<6, using: &rng) == 0 ? 0 : Int.random(in: 1...900, using: &rng),
                             locations: [sites[Int.random(in: 0..<sites.count, using: &rng)]],
                             runs: [FileRun(run: run, lumis: Array(lumi..<(lumi + lumis)).shuffled(using: &rng))],
                             insertTime: Double(Int.random(in: 0...100_000, using: &rng)))
        }
    }
}

struct RunLumiKey: Hashable { let run: Int; let lumi: Int }

extension SplitJob {
    /// Every (run, lumi) the mask lists.
    var maskLumis: [RunLumiKey] {
        mask.runAndLumis.flatMap { entry in entry.ranges.flatMap { r in (r[0]...r[1]).map { RunLumiKey(run: entry.run, lumi: $0) } } }
    }
}

func allLumis(_ files: [SplitFile]) -> [RunLumiKey] {
    files.flatMap { f in f.runs.flatMap { r in r.lumis.map { RunLumiKey(run: r.run, lumi: $0) } } }
}

@Suite struct PropertyTests {
    static let cases: UInt64 = 300

    func split(_ a: SplittingAlgorithm, _ files: [SplitFile], _ values: [String: ParameterValue],
               _ context: SplitContext = SplitContext(now: 200_000)) throws -> SplitOutcome {
        try JobSplitter.split(a, files: files, parameters: SplitParameters(values), context: context)
    }

    @Test func eventBasedCoversEveryEventOnce() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng).enumerated().map { i, f in
                var f = f; f.firstEvent = Int.random(in: 0...1_000, using: &rng); f.lfn += "\(i)"; return f
            }
            let epj = Int.random(in: 10...300, using: &rng)
            let jobs = try split(.eventBased, files, ["events_per_job": .int(epj)]).jobs
            #expect(jobs.allSatisfy { $0.inputFiles.count == 1 })
            let jobsByFile = Dictionary(grouping: jobs, by: { $0.inputFiles[0].lfn })
            for f in files {
                let mine = jobsByFile[f.lfn] ?? []
                if f.events == 0 {
                    #expect(mine.count == 1 && mine[0].mask.lastEvent == nil && mine[0].mask.firstEvent == f.firstEvent)
                    continue
                }
                // Consecutive, non-overlapping ranges from first_event to the file's last event.
                let ranges = mine.map { ($0.mask.firstEvent!, $0.mask.lastEvent!) }
                let contiguous = zip(ranges, ranges.dropFirst()).allSatisfy { $0.1 + 1 == $1.0 }
                #expect(contiguous && ranges.first?.0 == f.firstEvent && ranges.last?.1 == f.firstEvent + f.events - 1,
                        "seed \(seed)")
                #expect(ranges.allSatisfy { $0.1 - $0.0 + 1 <= epj && $0.1 >= $0.0 })
            }
            #expect(jobs.count == files.reduce(0) { $0 + max(1, ($1.events + epj - 1) / epj) })
        }
    }

    @Test func mcEventBasedCountsEventsAndLumis() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let events = Int.random(in: 1...20_000, using: &rng)
            let epj = Int.random(in: 20...3_000, using: &rng)
            let epl = Int.random(in: 1...epj, using: &rng)
            let firstLumi = Int.random(in: 1...50, using: &rng)
            let fake = SplitFile(lfn: "MCFakeFile-prop", events: events, firstEvent: 1, lastEvent: events,
                                 locations: ["T2_CH_CERN"], runs: [FileRun(run: 1, lumis: Array(firstLumi...(firstLumi + 10)))])
            let jobs = try split(.eventBased, [fake], ["events_per_job": .int(epj), "events_per_lumi": .int(epl)],
                                 SplitContext(subscriptionType: .production)).jobs
            let eventRanges = jobs.map { ($0.mask.firstEvent!, $0.mask.lastEvent!) }
            #expect(eventRanges.reduce(0) { $0 + $1.1 - $1.0 + 1 } == events)
            #expect(zip(eventRanges, eventRanges.dropFirst()).allSatisfy { $0.1 + 1 == $1.0 })
            let lumiRanges = jobs.map { ($0.mask.firstLumi!, $0.mask.lastLumi!) }
            #expect(lumiRanges.first?.0 == firstLumi)
            #expect(zip(lumiRanges, lumiRanges.dropFirst()).allSatisfy { $0.1 + 1 == $1.0 })
            for (job, range) in zip(jobs, eventRanges) {
                let n = range.1 - range.0 + 1
                #expect(job.mask.lastLumi! - job.mask.firstLumi! + 1 == (n + epl - 1) / epl)
                #expect(job.mask.firstRun == 1 && job.mask.lastRun == 1 && job.inputFiles[0].runs.isEmpty)
            }
        }
    }

    @Test func fileBasedUsesEveryFileOnce() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng)
            let fpj = Int.random(in: 1...7, using: &rng)
            let outcome = try split(.fileBased, files, ["files_per_job": .int(fpj)])
            #expect(outcome.jobs.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted())
            #expect(outcome.jobs.allSatisfy { $0.inputFiles.count <= fpj })
            for group in outcome.groups {
                #expect(group.jobs.allSatisfy { $0.inputFiles.allSatisfy { locationKey($0.locations) == group.locations } })
            }
            let closedMin = try split(.minFileBased, files, ["files_per_job": .int(fpj)])
            #expect(closedMin.jobs.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted())
            let openMin = try split(.minFileBased, files, ["files_per_job": .int(fpj)], SplitContext(filesetClosed: false))
            #expect(openMin.jobs.allSatisfy { $0.inputFiles.count == fpj })
        }
    }

    @Test func lumiBasedPutsEveryLumiInExactlyOneJob() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng)
            let lpj = Int.random(in: 1...9, using: &rng)
            let halt = Bool.random(using: &rng)
            let jobs = try split(.lumiBased, files, ["lumis_per_job": .int(lpj),
                                                    "halt_job_on_file_boundaries": .bool(halt)]).jobs
            let assigned = jobs.flatMap(\.maskLumis)
            #expect(assigned.count == Set(assigned).count, "seed \(seed): a lumi in two jobs")
            #expect(Set(assigned) == Set(allLumis(files)), "seed \(seed)")
            for job in jobs {
                #expect(job.maskLumis.count <= lpj)
                #expect(Set(job.mask.runAndLumis.map(\.run)).count == 1, "splitOnRun: one run per job")
                let jobFileLumis = Set(allLumis(job.inputFiles))
                #expect(job.maskLumis.allSatisfy(jobFileLumis.contains), "a job's lumis come from its files")
                if halt { #expect(job.inputFiles.count == 1) }
            }
        }
    }

    @Test func eventAwareLumiBasedRespectsTheEventTarget() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng)
            let epj = Int.random(in: 100...3_000, using: &rng)
            let jobs = try split(.eventAwareLumiBased, files, ["events_per_job": .int(epj)]).jobs
            let assigned = jobs.flatMap(\.maskLumis)
            #expect(assigned.count == Set(assigned).count, "seed \(seed)")
            #expect(Set(assigned) == Set(allLumis(files)), "seed \(seed)")
            let avg = Dictionary(uniqueKeysWithValues: files.flatMap { f in allLumis([f]).map { ($0, averageEventsPerLumi(f)) } })
            for job in jobs {
                let events = job.maskLumis.reduce(0) { $0 + avg[$1]! }
                // Only one oversized lumi (plus zero-event lumis) may exceed the target.
                let nonEmptyLumis = job.maskLumis.filter { avg[$0]! > 0 }.count
                #expect(events <= epj || nonEmptyLumis == 1, "seed \(seed): \(events) events > \(epj)")
                #expect(job.creationFailure == nil)
            }
        }
    }

    @Test func eventAwareLumiByWorkPutsEveryLumiInExactlyOneJob() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng)
            let epj = Int.random(in: 100...3_000, using: &rng)
            let jobs = try split(.eventAwareLumiByWork, files, ["events_per_job": .int(epj)]).jobs
            let assigned = jobs.flatMap(\.maskLumis)
            #expect(assigned.count == Set(assigned).count, "seed \(seed)")
            #expect(Set(assigned) == Set(allLumis(files)), "seed \(seed)")
            let avg = Dictionary(uniqueKeysWithValues: files.flatMap { f in allLumis([f]).map { ($0, averageEventsPerLumi(f)) } })
            for job in jobs {
                // A lumi joins a job only if it brings the job closer to the target, so a job of several
                // non-empty lumis stays under twice the target.
                let lumiEvents = job.maskLumis.map { avg[$0]! }
                let total = lumiEvents.reduce(0, +)
                #expect(total < 2 * epj || lumiEvents.filter { $0 > 0 }.count == 1, "seed \(seed)")
            }
        }
    }

    @Test func sizeBasedAndRunBasedUseEveryFileOnce() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            let files = RandomInput.files(&rng)
            let limit = Int.random(in: 500...12_000, using: &rng)
            let sized = try split(.sizeBased, files, ["size_per_job": .int(limit)]).jobs
            #expect(sized.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted())
            #expect(sized.allSatisfy { $0.inputFiles.reduce(0) { $0 + $1.size } <= limit || $0.inputFiles.count == 1 },
                    "seed \(seed): only a single oversized file may exceed size_per_job")
            let fpj = Int.random(in: 1...6, using: &rng)
            let byRun = try split(.runBased, files, ["files_per_job": .int(fpj)]).jobs
            #expect(byRun.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted())
            #expect(byRun.allSatisfy { $0.inputFiles.count <= fpj && Set($0.inputFiles.map(\.minRun)).count == 1 })
        }
    }

    @Test func mergesUseEveryFileOnceWhenForced() throws {
        for seed in 0..<Self.cases {
            var rng = SeededGenerator(seed: seed)
            // Every unmerged file comes from its own parent (one processing job per input file).
            let files = RandomInput.files(&rng).map { var f = $0; f.parents = ["/store/data/P/RAW/parent-\(f.lfn)"]; return f }
            let maxSize = Int.random(in: 2_000...20_000, using: &rng)
            let maxEvents = Int.random(in: 500...5_000, using: &rng)
            let values: [String: ParameterValue] = ["max_merge_size": .int(maxSize), "min_merge_size": .int(maxSize / 2),
                                                    "max_merge_events": .int(maxEvents)]
            for algorithm in [SplittingAlgorithm.parentlessMergeBySize, .wmbsMergeBySize] {
                let jobs = try split(algorithm, files, values).jobs
                #expect(jobs.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted(), "seed \(seed) \(algorithm)")
                for job in jobs where job.inputFiles.count > 1 {
                    #expect(job.inputFiles.reduce(0) { $0 + $1.size } <= maxSize)
                    #expect(job.inputFiles.reduce(0) { $0 + $1.events } <= maxEvents)
                }
            }
            let open = try split(.parentlessMergeBySize, files, values.merging(["max_wait_time": .int(10_000_000)]) { $1 },
                                 SplitContext(filesetClosed: false, now: 200_000)).jobs
            #expect(open.allSatisfy { $0.inputFiles.count == 1 || $0.inputFiles.reduce(0) { $0 + $1.size } > maxSize / 2 },
                    "open fileset: only jobs above min_merge_size (or single oversized files)")
            let merged = try split(.mergeBySize, files.map { var f = $0; f.locations = ["T2_CH_CERN"]; return f },
                                   ["merge_size": .int(maxSize), "all_files": .bool(true)]).jobs
            #expect(merged.flatMap(\.inputLFNs).sorted() == files.map(\.lfn).sorted())
        }
    }
}
