// wm-bench-json: job documents decoded per second, by JSONDecoder (DocumentArea.decodeWithJSONDecoder) and by the
// hand-written JobDocumentReader (DocumentArea.decode's fast path), on N job documents shaped like the job
// creator's (two input files with runs and lumis, a mask, agent baggage, two outputs, a short history).
//
// Usage: wm-bench-json [--jobs N] [--rounds R] [--json]
import Foundation
import JobSplitting
import SpoolKit
import Benchmarks
import Commands
import SpoolLayout
import Stages
import WMCore

struct Options {
    var jobs = 20_000
    var rounds = 3
    var json = false

    /// The command line.
    static let spec = CommandSpec(
        "wm-bench-json", summary: "job documents decoded per second by JSONDecoder and by JobDocumentReader (run a release build)",
        options: [CommandOption("jobs", .integer(1...10_000_000), help: "documents (default 20000)"),
                  CommandOption("rounds", .integer(1...1000), help: "rounds; the best counts (default 3)"),
                  .flag("json", help: "print JSON")])

    init(_ arguments: [String]) {
        let parsed: ParsedCommand
        do { parsed = try Self.spec.parse(arguments) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) } catch { fail("\(error)") }
        jobs = parsed.integer("jobs") ?? jobs
        rounds = parsed.integer("rounds") ?? rounds
        json = parsed.flag("json")
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("wm-bench-json: \(message)\n".utf8))
    exit(64)
}

/// A job document as the job creator makes it, after submission and one failed attempt.
func makeJob(_ n: Int) throws -> JobDocument {
    let files = (0..<2).map { i in
        SplitFile(lfn: "/store/data/Run2026A/PD/RAW/v1/000/\(n)/file\(i).root", size: 2_000_000_000 + n, events: 5000,
                  locations: ["T2_CH_CERN", "T1_US_FNAL_Disk"], runs: [FileRun(run: 380_000 + n % 50, lumis: Array((i * 20 + 1)...(i * 20 + 20)))])
    }
    var mask = JobMask(firstEvent: 0, lastEvent: 9999)
    mask.addRunAndLumis(run: 380_000 + n % 50, first: 1, last: 40)
    let outputs = ["RECOoutput": JobOutputSpec(dataTier: "RECO", dataset: "/PD/Run2026A-v1/RECO", lfnBase: "/store/unmerged/Run2026A/PD/RECO/v1", merged: false),
                   "AODoutput": JobOutputSpec(dataTier: "AOD", dataset: "/PD/Run2026A-v1/AOD", lfnBase: "/store/unmerged/Run2026A/PD/AOD/v1", merged: false)]
    let baggage: [String: JSONValue] = ["lfnCounter": .int(n), "sizePerEvent": 64, "eventsPerLumi": 250,
                                        "faults": ["rate": 0.05, "codes": [8001, 50664], "seed": .int(n)]]
    var doc = JobDocument(JobBody(name: "BenchWF-Proc-\(n)", workflow: "BenchWF", task: "/BenchWF/Proc", taskType: TaskType.processing.rawValue,
                                  subscription: "Proc", inputFiles: files, mask: mask, possibleSites: ["T2_CH_CERN", "T1_US_FNAL"],
                                  priority: 40_120_000, estimatedTime: 12_000, estimatedDisk: 640_000, estimatedMemory: 2300,
                                  baggage: baggage, outputs: outputs))
    let start = 1_780_000_000.0 + Double(n) * 0.37
    try doc.transition(to: .created, actor: "wm-jobcreator", reason: "split by LumiBased", at: start)
    try doc.transition(to: .executing, actor: "wm-jobsubmitter", reason: "submitted to T2_CH_CERN", at: start + 1.25)
    try doc.transition(to: .jobfailed, actor: "wm-jobtracker", reason: "exit code 8001", at: start + 812.5)
    doc.batchID = "local-\(n)"
    doc.site = "T2_CH_CERN"
    doc.exitCodes = [8001]
    doc.lastRunTime = 810.75
    return doc
}

/// Seconds spent decoding every document once with `decode`, best of the rounds.
func bestTime(_ documents: [[UInt8]], rounds: Int, _ decode: ([UInt8]) -> Bool) -> Double {
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for bytes in documents where !decode(bytes) { fail("a document did not decode") }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let directory = NSTemporaryDirectory() + "wm-bench-json-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: directory) }
let area = Areas.jobs(try Spool(root: directory, durability: .none))
let documents = try (0..<options.jobs).map { try area.encode(makeJob($0)) }
let totalBytes = documents.reduce(0) { $0 + $1.count }
for bytes in documents.prefix(100) {
    guard case .success(let reference) = area.decodeWithJSONDecoder(bytes, file: "bench.json"),
          let fast = JobDocumentReader.read(bytes), fast.body == reference.body, fast.extra == reference.extra else {
        fail("the fast reader does not agree with JSONDecoder on \(String(decoding: bytes, as: UTF8.self))")
    }
}
let decoderSeconds = bestTime(documents, rounds: options.rounds) {
    if case .success = area.decodeWithJSONDecoder($0, file: "bench.json") { return true } else { return false }
}
let readerSeconds = bestTime(documents, rounds: options.rounds) { JobDocumentReader.read($0) != nil }
let decoderRate = Double(options.jobs) / decoderSeconds, readerRate = Double(options.jobs) / readerSeconds
if options.json {
    print(#"{"jobs":\#(options.jobs),"bytesPerDocument":\#(totalBytes / options.jobs),"jsonDecoderPerSecond":\#(Int(decoderRate)),"# +
          #""readerPerSecond":\#(Int(readerRate)),"speedup":\#((readerRate / decoderRate * 10).rounded() / 10)}"#)
} else {
    print("job documents: \(options.jobs), \(totalBytes / options.jobs) bytes each (best of \(options.rounds) rounds)")
    print(String(format: "JSONDecoder        %9.0f documents/s  (%6.1f MB/s)", decoderRate, Double(totalBytes) / decoderSeconds / 1e6))
    print(String(format: "JobDocumentReader  %9.0f documents/s  (%6.1f MB/s)  %.1fx", readerRate, Double(totalBytes) / readerSeconds / 1e6,
                 readerRate / decoderRate))
}
