/// Why a job's step could not be planned from its documents. Each case names the file or field.
public enum RuntimePlanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `runtime.json` exists but is not a valid runtime description.
    case unreadableRuntime(path: String, reason: String)
    /// The job's task type has no step mode.
    case unknownTaskType(String)
    /// A job field or baggage key does not hold what the step needs.
    case invalidField(field: String, expected: String)

    /// A one-line message naming the file or field and what was expected.
    public var description: String {
        switch self {
        case .unreadableRuntime(let path, let reason):
            return "\(path): not a valid runtime description (expected keys spool, site, pnn, storagePrefix, inputPrefixes, wallTimeLimit, memoryLimitMB): \(reason)"
        case .unknownTaskType(let type):
            return "job.taskType: expected Production, Processing, Skim, Express, Merge, Repack, Harvesting, Cleanup or LogCollect, got '\(type)'"
        case .invalidField(let field, let expected):
            return "job.\(field): expected \(expected)"
        }
    }
}
