/// The RetryManager's cool-off algorithms (WMCore `WMComponent/RetryManager/PlugIns`).
public enum RetryAlgorithm: String, Codable, Sendable, CaseIterable {
    /// Cool-off = base. A base of 0 means the job never retries.
    case `default` = "Default"
    /// Cool-off = base × retry.
    case linear = "Linear"
    /// Cool-off = base × retry²; the first retry waits 0.
    case squared = "Squared"
    /// Cool-off = base^retry.
    case exponential = "Exponential"
    /// Create and submit failures are always ready; long or "one more" failures jump to the last retry.
    case processing = "Processing"
    /// Squared timing, then pause every `pauseCount` retries for an operator to look.
    case pause = "Pause"
}

/// Per task type: which algorithm and its parameters (`etc/retry.json`).
public struct RetryPolicy: Codable, Sendable, Equatable {
    /// Settings of one task type.
    public struct Settings: Codable, Sendable, Equatable {
        /// The algorithm.
        public var algorithm: RetryAlgorithm
        /// Base cool-off in seconds per failure kind (`create`, `submit`, `job`); missing → 10 s as in WMCore.
        public var coolOffTime: [String: Double]
        /// Pause every N retries (Pause algorithm; WMCore default 3). 0 pauses at once.
        public var pauseCount: Int
        /// Exit code → its own pause count (Pause algorithm's `retryErrorCodes`).
        public var retryErrorCodes: [String: Int]
        /// Exit codes that get only one more try (Processing algorithm's `OneMoreErrorCodes`).
        public var oneMoreErrorCodes: Set<Int>

        /// Makes settings.
        public init(algorithm: RetryAlgorithm, coolOffTime: [String: Double] = [:], pauseCount: Int = 3,
                    retryErrorCodes: [String: Int] = [:], oneMoreErrorCodes: Set<Int> = []) {
            self.algorithm = algorithm
            self.coolOffTime = coolOffTime
            self.pauseCount = pauseCount
            self.retryErrorCodes = retryErrorCodes
            self.oneMoreErrorCodes = oneMoreErrorCodes
        }

        /// Decodes settings; missing keys take the defaults above.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            algorithm = try c.decode(RetryAlgorithm.self, forKey: .algorithm)
            coolOffTime = try c.decodeIfPresent([String: Double].self, forKey: .coolOffTime) ?? [:]
            pauseCount = try c.decodeIfPresent(Int.self, forKey: .pauseCount) ?? 3
            retryErrorCodes = try c.decodeIfPresent([String: Int].self, forKey: .retryErrorCodes) ?? [:]
            oneMoreErrorCodes = try c.decodeIfPresent(Set<Int>.self, forKey: .oneMoreErrorCodes) ?? []
        }
    }

    /// Settings per task type; `default` applies to types not listed.
    public var taskTypes: [String: Settings]

    /// Makes a policy.
    public init(taskTypes: [String: Settings]) { self.taskTypes = taskTypes }

    /// The agent configuration's default (`etc/WMAgentConfig.py`): Squared with base 5000 s... scaled for
    /// a single machine, where a retry an hour later helps nobody: Squared with base 30 s.
    public static let standard = RetryPolicy(taskTypes: [
        "default": Settings(algorithm: .squared, coolOffTime: ["create": 30, "submit": 30, "job": 30]),
    ])

    /// The settings for a task type.
    public func settings(taskType: String) -> Settings {
        taskTypes[taskType] ?? taskTypes["default"] ?? Settings(algorithm: .default)
    }

    /// What the retry manager does with a job in cool-off.
    public enum Decision: Equatable, Sendable {
        /// Still cooling off.
        case wait(until: Double)
        /// Back to `created`; `retryCount` is what the job's count should become first (Processing may raise it).
        case retry(retryCount: Int)
        /// Move to the paused state for an operator.
        case pause(reason: String)
        /// The algorithm never retries (Default with base 0): give up.
        case giveUp(reason: String)
    }

    /// Decides for a job in a cool-off state.
    ///
    /// - Parameters:
    ///   - kind: "create", "submit" or "job" (which cool-off state).
    ///   - retryCount: retries so far (the count is raised by one when the job leaves cool-off).
    ///   - enteredCooloff: when the job entered the cool-off state.
    ///   - exitCode: the last exit code, if any; `runTime` the last attempt's run time.
    ///   - maxRetries: the task type's retry limit (for Processing).
    public func decide(taskType: String, kind: String, retryCount: Int, enteredCooloff: Double, now: Double,
                       exitCode: Int?, runTime: Double?, maxRetries: Int) -> Decision {
        let s = settings(taskType: taskType)
        let base = s.coolOffTime[kind] ?? 10
        let retry = Double(retryCount)
        func after(_ cooloff: Double) -> Decision {
            now - enteredCooloff > cooloff ? .retry(retryCount: retryCount) : .wait(until: enteredCooloff + cooloff)
        }
        switch s.algorithm {
        case .default:
            if base <= 0 { return .giveUp(reason: "the Default retry algorithm has no cool-off time for \(kind) failures") }
            return after(base)
        case .linear: return after(base * retry)
        case .squared: return after(base * retry * retry)
        case .exponential: return after(pow(base, retry))
        case .processing:
            if kind != "job" { return .retry(retryCount: retryCount) }
            var count = retryCount
            if (runTime ?? 0) > 86_400 || exitCode.map(s.oneMoreErrorCodes.contains) == true {
                count = max(maxRetries - 1, retryCount)
            }
            return .retry(retryCount: count)
        case .pause:
            let timed = after(base * retry * retry)
            guard case .retry = timed else { return timed }
            let pauseCount = exitCode.flatMap { s.retryErrorCodes[String($0)] } ?? s.pauseCount
            if pauseCount == 0 || (retryCount > 0 && retryCount % pauseCount == 0) {
                return .pause(reason: "paused after \(retryCount) retries (Pause algorithm, every \(pauseCount))")
            }
            return timed
        }
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var n = Int(exponent)
    while n > 0 { result *= base; n -= 1 }
    return result
}
