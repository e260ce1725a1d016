// wm-bench-spool: the substrate benchmark (run a release build).
//
//   swift build -c release --product wm-bench-spool
//   .build/release/wm-bench-spool [--dir DIR] [--docs N] [--queue N] [--json]
//
// Prints durable publishes/s and moves/s (group commit, and one commit per document), the time to
// take a batch of 100 from a queue of --queue documents (default 1,000,000; `Spool.take`, and a scan in
// name order for comparison), and, measured in the
// same run on the same file system, the raw rates of write+fsync+rename and of rename alone.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpoolKit
import Benchmarks
import Commands
import SpoolLayout
import Stages

let spec = CommandSpec(
    "wm-bench-spool", summary: "the substrate benchmark: durable publishes and moves per second, next to the raw rates (run a release build)",
    options: [CommandOption("dir", .text("DIR"), help: "where to measure (default /tmp/wm-bench-spool-PID; removed first)"),
              CommandOption("docs", .integer(1...10_000_000), help: "documents (default 5000)"),
              CommandOption("queue", .integer(100...100_000_000), help: "queue size for the take-100 measurement (default 1000000)"),
              .flag("json", help: "print JSON")])
let parsed: ParsedCommand
do { parsed = try spec.parse(Array(CommandLine.arguments.dropFirst())) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
let flags: Set<String> = parsed.flag("json") ? ["json"] : []
let base = parsed.text("dir") ?? "/tmp/wm-bench-spool-\(getpid())"
let docs = parsed.integer("docs") ?? 5000
let queueSize = parsed.integer("queue") ?? 1_000_000
let payload = Array(String(repeating: "{\"job\":\"x\"}", count: 120).utf8)  // ~1.3 kB, a small job document

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = SystemCall.now()
    try body()
    return SystemCall.now() - t0
}

try? FileManager.default.removeItem(atPath: base)
let spool = try Spool(root: base)
try spool.ensureDirectories(["raw", "a/new", "a/cur", "single/new", "single/cur", "big/new"])

// Raw machine rates: write + fsync + rename + directory fsync per file, and rename alone.
let rawDurable = try seconds {
    for i in 0..<docs {
        let temp = base + "/.tmp/raw\(i)"
        let fd = try SystemCall.open(temp, O_WRONLY | O_CREAT | O_EXCL)
        try payload.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: temp) }
        try SystemCall.fsync(fd, path: temp)
        close(fd)
        try SystemCall.rename(temp, base + "/raw/r\(i)")
        try SystemCall.fsyncDirectory(base + "/raw")
    }
}
let rawRename = try seconds {
    for i in 0..<docs { try SystemCall.rename(base + "/raw/r\(i)", base + "/raw/s\(i)") }
}

// Spool: group-committed publishes and moves (batches of 500), and one commit per document.
let batch = 500
let publishBatched = try seconds {
    var i = 0
    while i < docs {
        try spool.inBatch { b in
            for j in i..<min(docs, i + batch) { try b.publish(payload, as: "d\(j).json", in: "a/new") }
        }
        i += batch
    }
}
let moveBatched = try seconds {
    var i = 0
    while i < docs {
        try spool.inBatch { b in
            for j in i..<min(docs, i + batch) { _ = try b.move("d\(j).json", from: "a/new", to: "a/cur") }
        }
        i += batch
    }
}
let singleCount = min(docs, 2000)
let publishSingle = try seconds {
    for j in 0..<singleCount { try spool.publish(payload, as: "s\(j).json", in: "single/new") }
}
let moveSingle = try seconds {
    for j in 0..<singleCount { _ = try spool.move("s\(j).json", from: "single/new", to: "single/cur") }
}

// A big queue: fill it quickly (not durably, not timed), then take batches of 100.
let bigDir = base + "/big/new"
let fillTime = try seconds {
    for i in 0..<queueSize {
        let prio = 999_999 - (i * 7919) % 1_000_000
        let name = bigDir + "/p\(String(prio).leftPadded(to: 6))-job\(i).json"
        let fd = try SystemCall.open(name, O_WRONLY | O_CREAT | O_EXCL)
        close(fd)
    }
}
// The stages' take path (`Spool.take`): the next 100 in listing order, continuing where the last take stopped;
// each batch taken is moved out, as a stage does. Then, for comparison, 100 in priority (name) order, which must
// list the whole folder.
func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }
var takeTimes: [Double] = []
var listed = 0
var firstNames: [String] = []
for _ in 0..<5 {
    var result: ScanResult?
    takeTimes.append(try seconds { result = try spool.take("big/new", limit: 100) })
    listed = result!.entriesListed
    firstNames = Array(result!.names.prefix(2))
    for name in result!.names { try SystemCall.rename(bigDir + "/" + name, base + "/a/cur/" + name) }
}
let takeMedian = median(takeTimes)
var orderedTimes: [Double] = []
var orderedListed = 0
for _ in 0..<3 {
    var result: ScanResult?
    orderedTimes.append(try seconds { result = try spool.scan("big/new", limit: 100) })
    orderedListed = result!.entriesListed
}
let orderedMedian = median(orderedTimes)

let figures: [String: Any] = [
    "documents": docs,
    "rawWriteFsyncRenamePerSecond": Double(docs) / rawDurable,
    "rawRenamePerSecond": Double(docs) / rawRename,
    "publishesPerSecondBatched": Double(docs) / publishBatched,
    "movesPerSecondBatched": Double(docs) / moveBatched,
    "publishesPerSecondSingle": Double(singleCount) / publishSingle,
    "movesPerSecondSingle": Double(singleCount) / moveSingle,
    "publishBatchedVsRawDurable": (Double(docs) / publishBatched) / (Double(docs) / rawDurable),
    "moveBatchedVsRawRename": (Double(docs) / moveBatched) / (Double(docs) / rawRename),
    "queueSize": queueSize,
    "queueFillSeconds": fillTime,
    "take100FromQueueSeconds": takeMedian,
    "take100EntriesListed": listed,
    "take100DocumentsOpened": 0,
    "scan100ByNameSeconds": orderedMedian,
    "scan100ByNameEntriesListed": orderedListed,
]
if flags.contains("json") {
    print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
} else {
    func f(_ x: Double) -> String { String(format: "%.0f", x) }
    print("spool benchmark in \(base) (\(docs) documents of \(payload.count) bytes, durability full)")
    print("  raw write+fsync+rename+dirsync : \(f(Double(docs) / rawDurable))/s")
    print("  raw rename                     : \(f(Double(docs) / rawRename))/s")
    print("  publish, group commit (500)    : \(f(Double(docs) / publishBatched))/s  (\(String(format: "%.1f", figures["publishBatchedVsRawDurable"] as! Double))× raw durable)")
    print("  move, group commit (500)       : \(f(Double(docs) / moveBatched))/s  (\(String(format: "%.2f", figures["moveBatchedVsRawRename"] as! Double))× raw rename)")
    print("  publish, one commit each       : \(f(Double(singleCount) / publishSingle))/s")
    print("  move, one commit each          : \(f(Double(singleCount) / moveSingle))/s")
    print("  take 100 from \(queueSize) queued   : \(String(format: "%.4f", takeMedian)) s (median of 5 successive takes; \(listed) names listed, 0 documents opened; first: \(firstNames.joined(separator: ", ")))")
    print("  100 by name from \(queueSize)       : \(String(format: "%.3f", orderedMedian)) s (median of 3; \(orderedListed) names listed: priority order reads the whole folder)")
}
try? FileManager.default.removeItem(atPath: base)

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
