// wm-bench-fjr: how many framework job reports per second the reader parses.
//
// Usage: wm-bench-fjr [REPORT.xml] [SECONDS]
//   REPORT.xml  defaults to Tests/FrameworkJobReportTests/Fixtures/CMSSWProcessingReport.xml
//   SECONDS     how long to measure (default 3)
// Each iteration reads the file from disk and parses it, as the accountant would. Build with -c release.
import Foundation
import FrameworkJobReport
import Benchmarks
import Commands
import SpoolLayout
import Stages

let spec = CommandSpec("wm-bench-fjr", arguments: "[REPORT.xml] [SECONDS]", summary: "framework job reports parsed per second", positional: 0...2)
let arguments: [String]
do { arguments = try spec.parse(Array(CommandLine.arguments.dropFirst())).positional } catch let failure as CommandFailure {
    RuntimeCommandLine.exit(with: failure)
}
let path = arguments.first ?? "Tests/FrameworkJobReportTests/Fixtures/CMSSWProcessingReport.xml"
guard let seconds = Double(arguments.dropFirst().first ?? "3"), seconds.isFinite, (0.1...3600).contains(seconds) else {
    RuntimeCommandLine.exit(with: CommandFailure(.usage, "wm-bench-fjr: SECONDS is a number from 0.1 to 3600"))
}
let url = URL(fileURLWithPath: path)
let reader = FrameworkJobReportReader()

do {
    let first = try reader.read(contentsOf: url)
    print("report: \(path) (\(first.inputFiles.count) in, \(first.outputFiles.count) out, exit \(first.exitCode))")
    for _ in 0..<20 { _ = try reader.read(contentsOf: url) }  // warm up
    let clock = ContinuousClock()
    let start = clock.now
    var parsed = 0
    var outputsSeen = 0  // consumed below so the parse is not optimised away
    while clock.now - start < .seconds(seconds) {
        for _ in 0..<10 { outputsSeen &+= try reader.read(contentsOf: url).outputFiles.count }
        parsed += 10
    }
    let elapsed = clock.now - start
    let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(String(format: "parsed %d reports in %.2f s: %.0f reports/s (%.3f ms each)",
                 parsed, total, Double(parsed) / total, total / Double(parsed) * 1000))
    let json = first.jsonSummary()
    let jsonStart = clock.now
    for _ in 0..<1000 { _ = first.jsonSummary() }
    let jsonTime = clock.now - jsonStart
    print("json summary: \(json.count) bytes, \(jsonTime / 1000) each")
    if outputsSeen < 0 { print(outputsSeen) }
} catch {
    FileHandle.standardError.write(Data("wm-bench-fjr: \(error)\n".utf8))
    exit(1)
}
