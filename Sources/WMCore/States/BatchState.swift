/// A job's state in the batch system, as BossAir names it; the job document keeps the name (`batchStatus`).
public enum BatchState: String, Codable, CaseIterable, Sendable {
    /// Waiting for a slot.
    case pending = "Pending"
    /// Running.
    case running = "Running"
    /// Finished on its own (its report decides success).
    case complete = "Complete"
    /// Failed in the batch system, removed from it, or unknown to it.
    case error = "Error"
    /// Killed by the job tracker after too long in one state.
    case timeout = "Timeout"

    /// True while the job holds a place at its site (pending or running): what the submitter counts as the site's load.
    public var occupiesSite: Bool {
        switch self {
        case .pending, .running: return true
        case .complete, .error, .timeout: return false
        }
    }
}
