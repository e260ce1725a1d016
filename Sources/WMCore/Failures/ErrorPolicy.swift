/// The ErrorHandler's rules (WMCore `ErrorHandlerPoller`), as data: how many retries each task type
/// gets, which exit codes never retry, per-code retry limits, and the maximum failure run time.
public struct ErrorPolicy: Codable, Sendable, Equatable {
    /// Maximum retries per task type; `default` applies to types not listed.
    /// WMCore's defaults: default 3, Merge 4, Cleanup 2, LogCollect 1, Harvesting 4.
    public var maxRetries: [String: Int]
    /// Exit codes that go straight to `retrydone` (WMCore's `NoRetryExitCodes`).
    public var noRetryExitCodes: Set<Int>
    /// Exit codes with their own retry limit (an operator request WMCore lacks: #8537, #3961).
    public var retryLimitPerExitCode: [String: Int]
    /// Exit codes that go straight back to `created` without cool-off (WMCore's `passExitCodes`).
    public var passExitCodes: Set<Int>
    /// A failed attempt that ran longer than this many seconds is not retried (WMCore: 115200 s).
    public var maxFailTime: Double
    /// Whether the job's report is read before deciding (WMCore's `readFWJR`).
    public var readReport: Bool

    /// WMCore's defaults (`Agent/DefaultConfig.py`).
    public static let wmcoreDefault = ErrorPolicy(
        maxRetries: ["default": 3, "Merge": 4, "Cleanup": 2, "LogCollect": 1, "Harvesting": 4],
        noRetryExitCodes: [70, 73, 8001, 8006, 8009, 8023, 8026, 8501, 50660, 50661, 50664, 71102, 71104, 71105],
        retryLimitPerExitCode: [:], passExitCodes: [], maxFailTime: 115_200, readReport: true)

    /// Makes a policy.
    public init(maxRetries: [String: Int], noRetryExitCodes: Set<Int>, retryLimitPerExitCode: [String: Int] = [:],
                passExitCodes: Set<Int> = [], maxFailTime: Double = 115_200, readReport: Bool = true) {
        self.maxRetries = maxRetries
        self.noRetryExitCodes = noRetryExitCodes
        self.retryLimitPerExitCode = retryLimitPerExitCode
        self.passExitCodes = passExitCodes
        self.maxFailTime = maxFailTime
        self.readReport = readReport
    }

    /// Decodes a policy; keys left out keep WMCore's defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ErrorPolicy.wmcoreDefault
        maxRetries = d.maxRetries.merging(try c.decodeIfPresent([String: Int].self, forKey: .maxRetries) ?? [:]) { $1 }
        noRetryExitCodes = try c.decodeIfPresent(Set<Int>.self, forKey: .noRetryExitCodes) ?? d.noRetryExitCodes
        retryLimitPerExitCode = try c.decodeIfPresent([String: Int].self, forKey: .retryLimitPerExitCode) ?? d.retryLimitPerExitCode
        passExitCodes = try c.decodeIfPresent(Set<Int>.self, forKey: .passExitCodes) ?? d.passExitCodes
        maxFailTime = try c.decodeIfPresent(Double.self, forKey: .maxFailTime) ?? d.maxFailTime
        readReport = try c.decodeIfPresent(Bool.self, forKey: .readReport) ?? d.readReport
    }

    /// The retry limit of a task type.
    public func retryLimit(taskType: String) -> Int {
        maxRetries[taskType] ?? maxRetries["default"] ?? 3
    }

    /// What the error handler does with a failed job.
    public enum Decision: Equatable, Sendable {
        /// Wait in the cool-off state, then retry.
        case cooloff
        /// Give up: `retrydone` (then `exhausted`).
        case retryDone(reason: String)
        /// Retry at once: back to `created` (a pass exit code).
        case retryNow
    }

    /// Routes a job in a failed state, as WMCore does, plus the per-code limits.
    ///
    /// - Parameters:
    ///   - state: `createfailed`, `submitfailed` or `jobfailed`.
    ///   - retryCount: retries so far.
    ///   - exitCode: the attempt's exit code, if known.
    ///   - runTime: the attempt's run time in seconds, if known (from the report).
    public func decide(state: JobState, taskType: String, retryCount: Int, exitCode: Int?, runTime: Double?) -> Decision {
        if state == .createfailed { return .retryDone(reason: "creation failures are not retried (WMCore)") }
        let limit = retryLimit(taskType: taskType)
        if retryCount >= limit {
            return .retryDone(reason: "retry \(retryCount) reached the \(taskType) limit of \(limit)")
        }
        if state == .jobfailed && readReport {
            if let runTime, runTime > maxFailTime {
                return .retryDone(reason: "the attempt ran \(Int(runTime)) s, over the maximum failure time \(Int(maxFailTime)) s")
            }
            if let code = exitCode {
                if noRetryExitCodes.contains(code) { return .retryDone(reason: "exit code \(code) is never retried") }
                if let codeLimit = retryLimitPerExitCode[String(code)], retryCount >= codeLimit {
                    return .retryDone(reason: "retry \(retryCount) reached the limit of \(codeLimit) for exit code \(code)")
                }
                if passExitCodes.contains(code) { return .retryNow }
            }
        }
        return .cooloff
    }
}
