import JobSplitting

/// The most jobs one top-level task of a request may make (issue 17: a typo of 1e8 events silently made 500,000 job
/// documents). `wmctl request submit` and `wm-reqmgr` refuse such a request; the global queue refuses it again when it
/// splits it (a request submitted before the ceiling was lowered, or an input that grew), so it never makes a job.
///
/// The ceiling counts a task's jobs across all its work-queue elements: a MonteCarlo element holds at most
/// `MonteCarloPolicy.maxJobsPerElement` (1000) jobs, so a ceiling per element could never stop a huge request.
public enum JobCeiling {
    /// The default ceiling: 100,000 jobs per task (`workQueue.maxJobsPerTask` in `etc/agent.json`).
    public static let defaultMaxJobsPerTask = 100_000
    /// The ceilings a configuration may set.
    public static let allowed: ClosedRange<Int> = 1...1_000_000_000

    /// The jobs `events` events make at `perJob` events per job: `ceil(events / perJob)` (no overflow: no sum).
    public static func generatorJobs(events: Int, perJob: Int) -> Int {
        let size = max(1, perJob)
        return events / size + (events % size == 0 ? 0 : 1)
    }

    /// What the ceiling allows and what was found, for error messages.
    public static func expectation(jobs: Int, maximum: Int) -> String {
        "at most \(maximum) jobs per task (workQueue.maxJobsPerTask in etc/agent.json), not \(jobs) jobs"
    }

    /// The jobs of `elements` summed without overflow (saturating at `Int.max`).
    public static func total(_ elements: [ElementBody]) -> Int {
        SaturatingArithmetic.sum(elements.lazy.map { max(0, $0.jobs) })
    }
}
