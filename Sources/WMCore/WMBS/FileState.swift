/// The state of a file in a WMBS subscription; a subscription keeps each state's files in the folder of
/// that name beside its `subscription.json` (`available/`, `acquired/`, `completed/`, `failed/`).
public enum FileState: String, CaseIterable, Sendable {
    /// Not yet given to a job.
    case available
    /// Given to a job that has not finished.
    case acquired
    /// Processed by a job that succeeded.
    case completed
    /// Given up on (the job failed for good, or the file was skipped).
    case failed
}
