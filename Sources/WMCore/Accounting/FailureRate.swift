import JobSplitting

/// The failure-rate limit of a workflow: once at least `minimumAttempts` of its job attempts have ended and more
/// than `threshold` of them failed, the agent stops submitting its jobs (the 2012 paper's trigger for stopping
/// waste). Set for an agent (`etc/agent.json`, `workflowFailureRate`) and per request (`FailureRateThreshold`,
/// which replaces the agent's threshold and keeps its `minimumAttempts`).
public struct FailureRateLimit: Codable, Hashable, Sendable {
    /// The largest failed fraction allowed, 0...1 (1: never stops).
    public var threshold: Double
    /// Attempts that must have ended before the rate is judged (a first failure is not a rate).
    public var minimumAttempts: Int

    /// `minimumAttempts` when only a threshold is given.
    public static let defaultMinimumAttempts = 10
    /// The allowed range of `minimumAttempts`.
    public static let allowedMinimumAttempts: ClosedRange<Int> = 1...1_000_000

    /// Makes a limit; values out of range are clamped (callers validate where the values enter).
    public init(threshold: Double, minimumAttempts: Int = FailureRateLimit.defaultMinimumAttempts) {
        self.threshold = threshold.isFinite ? min(1, max(0, threshold)) : 1
        self.minimumAttempts = min(Self.allowedMinimumAttempts.upperBound, max(Self.allowedMinimumAttempts.lowerBound, minimumAttempts))
    }

    /// Decodes a limit; `minimumAttempts` left out keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(threshold: try c.decode(Double.self, forKey: .threshold),
                  minimumAttempts: try c.decodeIfPresent(Int.self, forKey: .minimumAttempts) ?? Self.defaultMinimumAttempts)
    }

    /// The limit for a workflow: the request's threshold (with the agent's `minimumAttempts`, else the default),
    /// else the agent's limit, else none. The second value names where the threshold came from.
    public static func effective(request: Double?, agent: FailureRateLimit?) -> (limit: FailureRateLimit, source: String)? {
        if let request {
            return (FailureRateLimit(threshold: request, minimumAttempts: agent?.minimumAttempts ?? defaultMinimumAttempts),
                    "request argument FailureRateThreshold")
        }
        return agent.map { ($0, "agent configuration workflowFailureRate") }
    }

    /// Why `tally` breaks the limit, or nil while it holds.
    public func breach(_ tally: FailureTally) -> String? {
        guard tally.attempts >= minimumAttempts, tally.attempts > 0,
              Double(tally.failed) > threshold * Double(tally.attempts) else { return nil }
        return "\(tally.failed) of \(tally.attempts) job attempts failed (\(Self.percent(Double(tally.failed) / Double(tally.attempts)))), "
            + "above the failure threshold \(Self.percent(threshold))"
    }

    private static func percent(_ fraction: Double) -> String {
        let tenths = (fraction * 1000).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))%" : "\(tenths / 10)%"
    }
}

/// Ended job attempts of a workflow and how many failed, counted from its accounting records.
public struct FailureTally: Hashable, Sendable {
    /// Attempts that ended (succeeded, failed or vanished).
    public private(set) var attempts = 0
    /// Attempts that did not succeed.
    public private(set) var failed = 0

    /// An empty tally.
    public init() {}

    /// Counts one ended attempt.
    public mutating func add(succeeded: Bool) {
        attempts = SaturatingArithmetic.add(attempts, 1)
        if !succeeded { failed = SaturatingArithmetic.add(failed, 1) }
    }

}

/// The agent stopped submitting a workflow's jobs because of its failure rate; kept until an operator resumes it
/// (`wmctl request resume NAME`), after which the limit is not applied to it again.
public struct SubmissionStop: Codable, Hashable, Sendable {
    /// The workflow.
    public var workflow: String
    /// Why, e.g. "31 of 40 job attempts failed (77.5%), above the failure threshold 50%".
    public var reason: String
    /// Where the threshold came from (request argument or agent configuration).
    public var source: String
    /// When the agent stopped it (seconds since the epoch).
    public var time: Double
    /// When an operator resumed it, if so.
    public var resumed: Double?

    /// Makes a stop.
    public init(workflow: String, reason: String, source: String, time: Double, resumed: Double? = nil) {
        self.workflow = workflow
        self.reason = reason
        self.source = source
        self.time = time
        self.resumed = resumed
    }

    /// True while the workflow's submissions are held.
    public var isHolding: Bool { resumed == nil }
}
