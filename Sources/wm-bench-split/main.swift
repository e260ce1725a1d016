import Foundation
import JobSplitting
import Benchmarks
import Commands
import SpoolLayout
import Stages

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

/// The command line.
let spec = CommandSpec(
    "wm-bench-split", summary: "jobs/s of the splitting algorithms next to WMCore's, and of the real JobCreatorStage (build with -c release)",
    options: [.flag("json", help: "print JSON"),
              CommandOption("repeats", .integer(1...10_000), help: "repeats of the split-only measurement (default 5)"),
              CommandOption("only", .text("CASE-PREFIX"), help: "only the cases whose name starts so"),
              .flag("durable", help: "only the durable runs (the real JobCreatorStage on a temporary spool, durability full)"),
              .flag("split-only", help: "only the splitting call"),
              CommandOption("durable-repeats", .integer(1...1000), help: "repeats of the durable runs (default 1)"),
              CommandOption("spool-dir", .text("DIR"), help: "where the durable runs' spools are made"),
              .flag("keep", help: "leave the durable runs' spools under DIR (delete them later: removing frees some 150,000 inodes per case)"),
              .flag("verbose", short: "v", help: "log the durable runs")])
let parsed: ParsedCommand
do { parsed = try spec.parse(Array(CommandLine.arguments.dropFirst())) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
if parsed.flag("durable") && parsed.flag("split-only") {
    RuntimeCommandLine.exit(with: CommandFailure(.usage, "wm-bench-split: --durable and --split-only contradict each other"))
}
let asJSON = parsed.flag("json")
let repeats = parsed.integer("repeats") ?? 5
let durableRepeats = parsed.integer("durable-repeats") ?? 1
let spoolParent = parsed.text("spool-dir") ?? NSTemporaryDirectory()
let runSplit = !parsed.flag("durable")
let runDurable = !parsed.flag("split-only")

var selected = cases()
if let filter = parsed.text("only") { selected = selected.filter { $0.name.hasPrefix(filter) } }

do {
    var results: [BenchResult] = []
    if runSplit { results += try selected.map { try measure($0, repeats: repeats) } }
    var roots: [String] = []
    defer { if !parsed.flag("keep") { for root in roots { try? FileManager.default.removeItem(atPath: root) } } }
    if runDurable {
        results += try selected.filter(\.durable).map {
            try DurableRun.measure($0, repeats: durableRepeats, under: spoolParent, roots: &roots, verbose: parsed.flag("verbose"))
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
