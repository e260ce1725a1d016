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
}

/// The timing of one case: median of the runs.
struct BenchResult: Codable {
    let name: String
    let algorithm: String
    let jobs: Int
    let medianSeconds: Double
    let jobsPerSecond: Double
    let wmcoreJobsPerSecond: Double?
    let speedup: Double?
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
                  wmcoreJobsPerSecond: 10_048),
        BenchCase(name: "MergeBySize (100,000 files, merge_size 20 MB)", algorithm: .mergeBySize, files: merge,
                  parameters: SplitParameters(["merge_size": 20_000_000]), context: processing, wmcoreJobsPerSecond: 4_572),
        BenchCase(name: "ParentlessMergeBySize (100,000 files, max 20 MB)", algorithm: .parentlessMergeBySize, files: merge,
                  parameters: SplitParameters(["max_merge_size": 20_000_000, "min_merge_size": 10_000_000]),
                  context: processing, wmcoreJobsPerSecond: nil),
        BenchCase(name: "SizeBased (100,000 files, size_per_job 10 MB)", algorithm: .sizeBased, files: merge,
                  parameters: SplitParameters(["size_per_job": 10_000_000]), context: processing, wmcoreJobsPerSecond: 25_678),
    ]
}

func measure(_ c: BenchCase, repeats: Int) throws -> BenchResult {
    var times: [Double] = []
    var jobs = 0
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let outcome = try JobSplitter.split(c.algorithm, files: c.files, parameters: c.parameters, context: c.context)
        let end = DispatchTime.now().uptimeNanoseconds
        jobs = outcome.groups.reduce(0) { $0 + $1.jobs.count }
        times.append(Double(end - start) / 1e9)
    }
    let median = times.sorted()[times.count / 2]
    let rate = Double(jobs) / median
    return BenchResult(name: c.name, algorithm: c.algorithm.rawValue, jobs: jobs, medianSeconds: median, jobsPerSecond: rate,
                       wmcoreJobsPerSecond: c.wmcoreJobsPerSecond, speedup: c.wmcoreJobsPerSecond.map { rate / $0 })
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") {
    print("usage: wm-bench-split [--json] [--repeats N] [--only CASE-PREFIX]   (build with -c release)")
    exit(0)
}
let asJSON = arguments.contains("--json")
var repeats = 5
if let i = arguments.firstIndex(of: "--repeats"), arguments.index(after: i) < arguments.endIndex,
   let n = Int(arguments[arguments.index(after: i)]), n > 0 {
    repeats = n
}

var selected = cases()
if let i = arguments.firstIndex(of: "--only"), arguments.index(after: i) < arguments.endIndex {
    let filter = arguments[arguments.index(after: i)]
    selected = selected.filter { $0.name.hasPrefix(filter) }
}

do {
    let results = try selected.map { try measure($0, repeats: repeats) }
    if asJSON {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
    } else {
        print("case".padding(toLength: 52, withPad: " ", startingAt: 0) + "      jobs   median s        jobs/s   WMCore jobs/s   speedup")
        for r in results {
            let wm = r.wmcoreJobsPerSecond.map { String(format: "%13.0f", $0) } ?? "            –"
            let sp = r.speedup.map { String(format: "%8.0fx", $0) } ?? "        –"
            print(r.name.padding(toLength: 52, withPad: " ", startingAt: 0)
                  + String(format: "%10d %10.4f %13.0f", r.jobs, r.medianSeconds, r.jobsPerSecond) + "   " + wm + " " + sp)
        }
    }
} catch {
    FileHandle.standardError.write(Data("wm-bench-split: \(error)\n".utf8))
    exit(1)
}
