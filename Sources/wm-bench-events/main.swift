// wm-bench-events: measures how fast the WMEV writer, reader and file checksums run.
//
// Usage: wm-bench-events [EVENTS] [PAYLOAD_BYTES]     (defaults: 200000 events of 1024 bytes)
// Example: swift build -c release && .build/release/wm-bench-events 500000 1024
import EventFiles
import Foundation
import Benchmarks
import Commands
import SpoolLayout
import Stages

let spec = CommandSpec("wm-bench-events", arguments: "[EVENTS] [PAYLOAD_BYTES]",
                       summary: "WMEV writer, reader and checksum throughput (defaults: 200000 events of 1024 bytes)", positional: 0...2)
let positional: [String]
do { positional = try spec.parse(Array(CommandLine.arguments.dropFirst())).positional } catch let failure as CommandFailure {
    RuntimeCommandLine.exit(with: failure)
}
guard let events = UInt64(positional.first ?? "200000"), (1...1_000_000_000).contains(events),
      let payloadSize = Int(positional.dropFirst().first ?? "1024"), (0...(1 << 20)).contains(payloadSize) else {
    RuntimeCommandLine.exit(with: CommandFailure(.usage, "wm-bench-events: EVENTS is 1 to 10^9 and PAYLOAD_BYTES 0 to 1048576 (see --help)"))
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wm-bench-events-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let path = directory.appendingPathComponent("bench.wmev").path

/// Runs `body` and returns the seconds it took.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Prints one result line: events/s and MB/s.
func report(_ what: String, seconds: Double, bytes: UInt64) {
    let rate = Double(events) / seconds
    let megabytes = Double(bytes) / 1e6 / seconds
    print("\(what): \(events) events in \(String(format: "%.3f", seconds)) s = \(String(format: "%.0f", rate)) events/s, \(String(format: "%.0f", megabytes)) MB/s")
}

let fileSize = EventFileFormat.fileSize(events: events, payloadSize: payloadSize)
print("payload \(payloadSize) bytes/event, file \(fileSize) bytes")

let writeSeconds = try timed {
    let writer = try EventFileWriter(path: path, payloadSize: payloadSize, syncOnFinish: true)
    for event in 1...events {
        try writer.append(EventRecord(run: 1, lumi: UInt32((event - 1) / 100 + 1), event: event,
                                      triggerBits: GenerateRequest.triggerBits(seed: 1, event: event)))
    }
    try writer.finish()
}
report("write (with fsync)", seconds: writeSeconds, bytes: fileSize)

var checksum: UInt64 = 0
let readSeconds = try timed {
    let reader = try EventFileReader(path: path)
    try reader.forEach { checksum &+= $0.event }
}
report("read (verified)", seconds: readSeconds, bytes: fileSize)
precondition(checksum == events * (events + 1) / 2, "read back the wrong events")

var sums = FileChecksums(size: 0, adler32: 0, cksum: 0)
let checksumSeconds = try timed { sums = try FileChecksums.compute(path: path) }
report("adler32+cksum", seconds: checksumSeconds, bytes: sums.size)
