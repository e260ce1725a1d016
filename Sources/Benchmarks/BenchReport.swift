import Foundation

/// How `wmagent bench` prints its figures: one line per stage as it ends, a summary, or one JSON object (and for
/// `--steady`, a table of the stages' cycles or one JSON object).
public enum BenchReport {
    /// `wm-jobsubmitter   100000 jobs   12.34 s   8103 jobs/s  (cpu 11.9 s, 101 cycles)`.
    public static func line(_ t: AgentBenchmark.StageTiming) -> String {
        t.stage.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%8d jobs %9.2f s %9.0f jobs/s  (cpu %.2f s, %d cycles)",
                                                                            t.jobs, t.seconds, t.jobsPerSecond, t.cpuSeconds, t.cycles)
    }

    /// The human-readable summary.
    public static func summary(_ r: AgentBenchmark.Result) -> String {
        [String(format: "end to end: %d jobs in %.2f s = %.0f jobs/s (batch %d, durability %@)", r.jobs, r.seconds, r.endToEndJobsPerSecond,
                r.batchSize, r.durability),
         String(format: "peak memory: %.0f MB; setup (input files) %.1f s", r.peakMemoryMB, r.setupSeconds)
            + (r.warmUpJobs > 0 ? "; after \(r.warmUpJobs) warm-up jobs (steady-state spare pools)" : "; fresh spool (empty spare pools)"),
         String(format: "raw durable files (write + fsync + rename + fsync dir, one at a time): %.0f/s; jobs per raw durable file: %.2f",
                r.rawDurableFilesPerSecond, r.jobsPerRawDurableFile)].joined(separator: "\n")
    }

    /// One JSON object (sorted keys); `endToEndJobsPerSecond` is the headline.
    public static func json(_ r: AgentBenchmark.Result) throws -> String {
        try encode(r)
    }

    /// The human-readable figures of a steady run: a header, one line per stage, the executing counts and the rates.
    public static func summary(_ r: SteadyStateBenchmark.Result) -> String {
        let header = String(format: "steady: %d executing jobs on sim (%.0f s each), stages cycled %.1f s in %d rounds (batch %d);"
                            + " setup %.1f s, fill %.1f s", r.running, r.runSeconds, r.seconds, r.rounds, r.batchSize, r.setupSeconds, r.fillSeconds)
        let columns = "stage".padding(toLength: 18, withPad: " ", startingAt: 0) + "  cycles  mean s/cycle  max s/cycle  cpu s/cycle  max cpu s      jobs"
        let stages = r.stages.map { s in
            s.stage.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(format: "%8d %13.3f %12.3f %12.3f %10.3f %9d", s.cycles, s.meanCycleSeconds, s.maxCycleSeconds, s.cpuSecondsPerCycle,
                         s.maxCPUSecondsPerCycle, s.jobs)
        }
        let e = r.executing
        let footer = [String(format: "executing: min %d, mean %.0f, max %d (%d samples)", e.min, e.mean, e.max, e.count),
                      String(format: "jobs done (archived): %d = %.1f jobs/s; peak memory: %.0f MB", r.jobsDone, r.jobsPerSecond, r.peakMemoryMB)]
        return ([header, columns] + stages + footer).joined(separator: "\n")
    }

    /// One JSON object (sorted keys) of a steady run.
    public static func json(_ r: SteadyStateBenchmark.Result) throws -> String {
        try encode(r)
    }

    private static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
