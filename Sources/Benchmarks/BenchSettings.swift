import Commands
import Foundation

extension AgentBenchmark.Settings {
    /// `wmagent bench`'s command line.
    public static let spec = CommandSpec(
        "wmagent bench", summary: "jobs/s of the stages on null payloads, on a fresh spool (run a release build)",
        options: [CommandOption("jobs", .integer(1...100_000_000), help: "jobs pushed through (default 100000)"),
                  CommandOption("batch", .integer(1...100_000), help: "documents per batch (default 500)"),
                  .flag("pipelined", help: "run the stages at the same time, each on its own thread"),
                  CommandOption("warm-up", .integer(1...100_000_000), help: "first push N jobs untimed (steady state)"),
                  CommandOption("dir", .text("DIR"), help: "where the benchmark's spool is made (default: a temporary folder)"),
                  .flag("keep", help: "leave the spool behind"),
                  CommandOption("raw-seconds", .integer(1...3600), help: "seconds spent measuring the disk's raw durable file rate"),
                  .flag("json", help: "print the result as JSON")],
        notes: ["Example:", "  swift build -c release && .build/release/wmagent bench --jobs 20000 --json"])

    /// Parses `wmagent bench` options: the settings and whether to print JSON.
    public static func parse(_ arguments: [String]) throws -> (AgentBenchmark.Settings, json: Bool) {
        let parsed = try spec.parse(arguments)
        var settings = AgentBenchmark.Settings()
        if let n = parsed.integer("jobs") { settings.jobs = n }
        if let n = parsed.integer("batch") { settings.batchSize = n }
        if let n = parsed.integer("raw-seconds") { settings.rawSeconds = Double(n) }
        if let dir = parsed.text("dir") { settings.directory = dir }
        if let n = parsed.integer("warm-up") { settings.warmUpJobs = n }
        settings.pipelined = parsed.flag("pipelined")
        settings.keep = parsed.flag("keep")
        return (settings, parsed.flag("json"))
    }
}
