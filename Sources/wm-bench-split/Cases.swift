import Foundation
import JobSplitting

/// One benchmark case: the inputs are built outside the timing, then the split call is timed.
struct BenchCase {
    let name: String
    let algorithm: SplittingAlgorithm
    let files: [SplitFile]
    let parameters: SplitParameters
    let context: SplitContext
    /// WMCore's jobs/s for the same input (data/splitting/README.md), if measured.
    let wmcoreJobsPerSecond: Double?
    /// Whether the "with job documents written durably" variant runs this case.
    var durable = true
}

/// The timing of one case: median (and best) of the runs.
struct BenchResult: Codable {
    let name: String
    let algorithm: String
    /// `split` (the algorithm alone) or `durable` (the job creator writing job documents, durability full).
    let mode: String
    let jobs: Int
    let medianSeconds: Double
    let bestSeconds: Double
    let jobsPerSecond: Double
    let wmcoreJobsPerSecond: Double?
    let speedup: Double?

    init(_ c: BenchCase, mode: String, jobs: Int, times: [Double]) {
        let sorted = times.sorted()
        name = c.name
        algorithm = c.algorithm.rawValue
        self.mode = mode
        self.jobs = jobs
        medianSeconds = sorted[sorted.count / 2]
        bestSeconds = sorted[0]
        let rate = Double(jobs) / sorted[sorted.count / 2]
        jobsPerSecond = rate
        // WMCore's figures are for the splitting call alone: only split rows are compared with them.
        wmcoreJobsPerSecond = mode == "split" ? c.wmcoreJobsPerSecond : nil
        speedup = wmcoreJobsPerSecond.map { rate / $0 }
    }
}

func lumiFiles(count: Int, lumisPerFile: Int, eventsPerFile: Int) -> [SplitFile] {
    (0..<count).map { i in
        SplitFile(lfn: "/store/data/Bench/RAW/v1/\(String(format: "%06d", i)).root", size: 2_000_000, events: eventsPerFile,
                  locations: ["T2_CH_CERN"],
                  runs: [FileRun(run: 1, lumis: Array((i * lumisPerFile + 1)...(i * lumisPerFile + lumisPerFile)))])
    }
}

func mergeFiles(count: Int) -> [SplitFile] {
    (0..<count).map { i in
        SplitFile(lfn: "/store/unmerged/Bench/RECO/v1/\(String(format: "%06d", i)).root", size: 2_000_000 + (i % 7) * 100_000,
                  events: 100, firstEvent: 0, locations: ["T2_CH_CERN"], runs: [FileRun(run: 1 + i / 1000, lumis: [i + 1])],
                  insertTime: 0)
    }
}

func cases() -> [BenchCase] {
    let processing = SplitContext(subscriptionType: .processing, now: 1_000_000)
    let perf: ParameterValue = ["timePerEvent": 12, "sizePerEvent": 400, "memoryRequirement": 2300]
    let fake = SplitFile(lfn: "MCFakeFile-bench", events: 10_000_000, firstEvent: 1, lastEvent: 10_000_000,
                         locations: ["T2_CH_CERN"], runs: [FileRun(run: 1, lumis: Array(1...100_000))])
    let lumi = lumiFiles(count: 20_000, lumisPerFile: 10, eventsPerFile: 1_000)
    let plain = lumiFiles(count: 100_000, lumisPerFile: 1, eventsPerFile: 1_000)
    let merge = mergeFiles(count: 100_000)
    return [
        BenchCase(name: "EventBased MC (10,000,000 events, epj 100)", algorithm: .eventBased, files: [fake],
                  parameters: SplitParameters(["events_per_job": 100, "performance": perf]),
                  context: SplitContext(subscriptionType: .production), wmcoreJobsPerSecond: 41_168),
        BenchCase(name: "FileBased (100,000 files, fpj 5)", algorithm: .fileBased, files: plain,
                  parameters: SplitParameters(["files_per_job": 5, "performance": perf]), context: processing,
                  wmcoreJobsPerSecond: 10_338),
        BenchCase(name: "LumiBased (20,000 files x 10 lumis, lpj 7)", algorithm: .lumiBased, files: lumi,
                  parameters: SplitParameters(["lumis_per_job": 7, "performance": perf]), context: processing,
                  wmcoreJobsPerSecond: 17_883),
        BenchCase(name: "EventAwareLumiBased (same, epj 700)", algorithm: .eventAwareLumiBased, files: lumi,
                  parameters: SplitParameters(["events_per_job": 700, "performance": perf]), context: processing,
                  wmcoreJobsPerSecond: 14_421),
        BenchCase(name: "EventAwareLumiByWork (same, epj 700)", algorithm: .eventAwareLumiByWork, files: lumi,
                  parameters: SplitParameters(["events_per_job": 700, "performance": perf]), context: processing,
                  wmcoreJobsPerSecond: 10_048, durable: false),
        BenchCase(name: "MergeBySize (100,000 files, merge_size 20 MB)", algorithm: .mergeBySize, files: merge,
                  parameters: SplitParameters(["merge_size": 20_000_000]), context: processing, wmcoreJobsPerSecond: 4_572),
        BenchCase(name: "ParentlessMergeBySize (100,000 files, max 20 MB)", algorithm: .parentlessMergeBySize, files: merge,
                  parameters: SplitParameters(["max_merge_size": 20_000_000, "min_merge_size": 10_000_000]),
                  context: processing, wmcoreJobsPerSecond: nil),
        BenchCase(name: "SizeBased (100,000 files, size_per_job 10 MB)", algorithm: .sizeBased, files: merge,
                  parameters: SplitParameters(["size_per_job": 10_000_000]), context: processing, wmcoreJobsPerSecond: 25_678,
                  durable: false),
    ]
}

