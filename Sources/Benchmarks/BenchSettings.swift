import Commands
import Foundation

extension AgentBenchmark.Settings {
    /// `wmagent bench`'s command line.
    public static let spec = CommandSpec(
        "wmagent bench", summary: "jobs/s of the stages on null payloads, on a fresh spool (run a release build); with --steady, "
            + "their cycle times while they hold N executing jobs on the sim batch system",
        options: [CommandOption("jobs", .integer(1...100_000_000), help: "jobs pushed through (default 100000)"),
                  CommandOption("batch", .integer(1...100_000), help: "documents per batch (default 500)"),
                  .flag("pipelined", help: "run the stages at the same time, each on its own thread"),
                  CommandOption("warm-up", .integer(1...100_000_000), help: "first push N jobs untimed (steady state)"),
                  CommandOption("dir", .text("DIR"), help: "where the benchmark's spool is made (default: a temporary folder)"),
                  .flag("keep", help: "leave the spool behind"),
                  CommandOption("raw-seconds", .integer(1...3600), help: "seconds spent measuring the disk's raw durable file rate"),
                  .flag("steady", help: "hold --running N jobs executing on a sim site while the stages cycle for --seconds T; "
                        + "report each stage's cycle time and CPU per cycle"),
                  CommandOption("running", .integer(1...10_000_000), help: "--steady: executing jobs held (default 100000)"),
                  CommandOption("seconds", .number(0.1...86_400), help: "--steady: wall seconds the stages cycle (default 60)"),
                  CommandOption("run-seconds", .number(0.1...86_400), help: "--steady: wall seconds each sim attempt runs (default 60)"),
                  .flag("json", help: "print the result as JSON")],
        notes: ["--jobs, --pipelined, --warm-up and --raw-seconds are for the drain bench; --running, --seconds and --run-seconds",
                "need --steady.",
                "Examples:", "  swift build -c release && .build/release/wmagent bench --jobs 20000 --json",
                "  .build/release/wmagent bench --steady --running 10000 --seconds 60 --run-seconds 30 --dir /dev/shm/steady"])

    /// The options of the drain bench alone, and of the steady bench alone.
    static let drainOnly = ["jobs", "pipelined", "warm-up", "raw-seconds"], steadyOnly = ["running", "seconds", "run-seconds"]

    /// Parses `wmagent bench` options: which bench with which settings, and whether to print JSON. An option of the
    /// other bench is a usage error.
    public static func parse(_ arguments: [String]) throws -> (BenchCommand, json: Bool) {
        let parsed = try spec.parse(arguments)
        let steady = parsed.flag("steady")
        if let wrong = (steady ? drainOnly : steadyOnly).first(where: { parsed.values[$0] != nil }) {
            throw CommandFailure(.usage, "wmagent bench: --\(wrong) " + (steady ? "is not an option of --steady" : "needs --steady") + "\n" + spec.usage)
        }
        if steady { return (.steady(SteadyStateBenchmark.Settings(parsed)), parsed.flag("json")) }
        var settings = AgentBenchmark.Settings()
        if let n = parsed.integer("jobs") { settings.jobs = n }
        if let n = parsed.integer("batch") { settings.batchSize = n }
        if let n = parsed.integer("raw-seconds") { settings.rawSeconds = Double(n) }
        if let dir = parsed.text("dir") { settings.directory = dir }
        if let n = parsed.integer("warm-up") { settings.warmUpJobs = n }
        settings.pipelined = parsed.flag("pipelined")
        settings.keep = parsed.flag("keep")
        return (.drain(settings), parsed.flag("json"))
    }
}

/// Which bench `wmagent bench` runs.
public enum BenchCommand: Sendable {
    /// Push jobs through every stage until the spool is quiet (`AgentBenchmark`).
    case drain(AgentBenchmark.Settings)
    /// Hold jobs executing while the stages cycle (`SteadyStateBenchmark`, `--steady`).
    case steady(SteadyStateBenchmark.Settings)
}

extension SteadyStateBenchmark.Settings {
    /// The settings of parsed `wmagent bench --steady` options.
    init(_ parsed: ParsedCommand) {
        self.init()
        if let n = parsed.integer("running") { running = n }
        if let x = parsed.text("seconds").flatMap(Double.init) { seconds = x }
        if let x = parsed.text("run-seconds").flatMap(Double.init) { runSeconds = x }
        if let n = parsed.integer("batch") { batchSize = n }
        if let dir = parsed.text("dir") { directory = dir }
        keep = parsed.flag("keep")
    }
}
