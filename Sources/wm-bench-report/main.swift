// wm-bench-report: seconds to build and publish the operations pages (wmctl report --html, wmagent run) of a spool
// with --requests completed requests and --jobs archived jobs, synthesized straight into a new spool; the first build
// (every archived job read), the second (digests reused) and one after --added more jobs were archived.
//
//   swift build -c release --product wm-bench-report
//   .build/release/wm-bench-report [--requests N] [--jobs N] [--added N] [--dir DIR] [--keep] [--json]
import Benchmarks
import Commands
import Foundation

let spec = CommandSpec(
    "wm-bench-report", summary: "seconds to build the operations pages of a synthesized spool of many requests and archived jobs (run a release build)",
    options: [CommandOption("requests", .integer(1...100_000), help: "completed requests (default 1000)"),
              CommandOption("jobs", .integer(1...100_000_000), help: "archived jobs, spread over the requests (default 1000000)"),
              CommandOption("added", .integer(0...10_000_000), help: "jobs archived before the incremental build (default 1000)"),
              CommandOption("dir", .text("DIR"), help: "where the spool is made; must not exist (default /tmp/wm-bench-report-PID)"),
              .flag("keep", help: "leave the spool behind"),
              .flag("json", help: "print JSON")])
let parsed: ParsedCommand
do { parsed = try spec.parse(Array(CommandLine.arguments.dropFirst())) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
var settings = ReportBenchmark.Settings(directory: parsed.text("dir") ?? "/tmp/wm-bench-report-\(ProcessInfo.processInfo.processIdentifier)")
settings.requests = parsed.integer("requests") ?? settings.requests
settings.archivedJobs = parsed.integer("jobs") ?? settings.archivedJobs
settings.addedJobs = parsed.integer("added") ?? settings.addedJobs
settings.keep = parsed.flag("keep")
do {
    let result = try ReportBenchmark.run(settings)
    if parsed.flag("json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } else {
        print("""
            \(result.requests) requests, \(result.archivedJobs) archived jobs in \(result.archiveDays) day folder(s), \(result.pages) pages \
            (synthesized in \(String(format: "%.1f", result.synthesizeSeconds)) s)
            first build:       \(String(format: "%.3f", result.coldSeconds)) s (every archived job read)
            second build:      \(String(format: "%.3f", result.warmSeconds)) s (\(result.warmPagesWritten) page(s) written)
            after \(result.addedJobs) archived: \(String(format: "%.3f", result.incrementalSeconds)) s
            """)
    }
} catch let failure as CommandFailure {
    RuntimeCommandLine.exit(with: failure)
} catch {
    FileHandle.standardError.write(Data("wm-bench-report: \(error)\n".utf8))
    exit(70)
}
