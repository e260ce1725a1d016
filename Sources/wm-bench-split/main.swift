import Foundation
import JobSplitting

/// Times the splitting call alone (inputs built outside the timing).
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
    return BenchResult(c, mode: "split", jobs: jobs, times: times)
}

/// The value after `flag`, if given.
func option(_ flag: String, in arguments: ArraySlice<String>) -> String? {
    guard let i = arguments.firstIndex(of: flag), arguments.index(after: i) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: i)]
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") {
    print("""
        usage: wm-bench-split [--json] [--repeats N] [--only CASE-PREFIX] [--durable|--split-only] [--durable-repeats N] [--spool-dir DIR] [--keep]
          (build with -c release)
          split:   the splitting call alone, jobs/s next to WMCore's (data/splitting/README.md)
          durable: the real JobCreatorStage on a temporary spool under DIR (durability full), job documents included
          --keep:  leave the durable runs' spools under DIR (removing them frees some 150,000 inodes per case, and on
                   ext4 without a journal every file created in the next minutes is slower: delete them later)
        """)
    exit(0)
}
let asJSON = arguments.contains("--json")
let repeats = option("--repeats", in: arguments).flatMap(Int.init).map { max(1, $0) } ?? 5
let durableRepeats = option("--durable-repeats", in: arguments).flatMap(Int.init).map { max(1, $0) } ?? 1
let spoolParent = option("--spool-dir", in: arguments) ?? NSTemporaryDirectory()
let runSplit = !arguments.contains("--durable")
let runDurable = !arguments.contains("--split-only")

var selected = cases()
if let filter = option("--only", in: arguments) { selected = selected.filter { $0.name.hasPrefix(filter) } }

do {
    var results: [BenchResult] = []
    if runSplit { results += try selected.map { try measure($0, repeats: repeats) } }
    var roots: [String] = []
    defer { if !arguments.contains("--keep") { for root in roots { try? FileManager.default.removeItem(atPath: root) } } }
    if runDurable {
        results += try selected.filter(\.durable).map {
            try DurableRun.measure($0, repeats: durableRepeats, under: spoolParent, roots: &roots, verbose: arguments.contains("-v"))
        }
    }
    if asJSON {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
    } else {
        print("case".padding(toLength: 52, withPad: " ", startingAt: 0)
              + " mode          jobs   median s     best s        jobs/s   WMCore jobs/s   speedup")
        for r in results {
            let wm = r.wmcoreJobsPerSecond.map { String(format: "%13.0f", $0) } ?? "            –"
            let sp = r.speedup.map { String(format: "%8.0fx", $0) } ?? "        –"
            print(r.name.padding(toLength: 52, withPad: " ", startingAt: 0) + " " + r.mode.padding(toLength: 8, withPad: " ", startingAt: 0)
                  + String(format: "%10d %10.4f %10.4f %13.0f", r.jobs, r.medianSeconds, r.bestSeconds, r.jobsPerSecond) + "   " + wm + " " + sp)
        }
        if runDurable { print("durable: JobCreatorStage cycle, job documents and group record fsynced (target 10,000 jobs/s)") }
    }
} catch {
    FileHandle.standardError.write(Data("wm-bench-split: \(error)\n".utf8))
    exit(1)
}
