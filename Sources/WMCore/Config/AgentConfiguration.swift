import Foundation

/// The agent's configuration (`<spool>/etc/agent.json`, or `--config FILE`). Every key is optional:
/// what is left out keeps the default; the file itself must exist (`wmagent init` writes it), and a key
/// it does not know or a value out of range is refused (`init(validating:path:)`).
public struct AgentConfiguration: Codable, Sendable {
    /// The agent's name (WMCore's agent number and queue name come from it).
    public var agentName: String
    /// The team the agent serves (requests are assigned to teams).
    public var team: String
    /// ErrorHandler rules.
    public var errorHandler: ErrorPolicy
    /// RetryManager algorithms per task type.
    public var retryManager: RetryPolicy
    /// Requestor group → priority added to each of its requests (the 2012 paper's group share).
    public var groupPriorities: GroupPriorities
    /// Work-queue settings.
    public var workQueue: WorkQueueSettings
    /// Settings copied into every job's baggage: e.g. `sizePerEvent` (event payload bytes written by
    /// wm-cmsrun, default 64) and `faults` (a fault plan, for demos and tests).
    public var jobBaggage: [String: JSONValue]
    /// The failure rate above which the agent stops submitting a workflow's jobs (`workflowFailureRate`:
    /// `{"threshold": 0...1, "minimumAttempts": N}`); nil (the default): no limit unless the request sets one.
    public var workflowFailureRate: FailureRateLimit?

    /// The defaults.
    public static let standard = AgentConfiguration(agentName: "agent1", team: "production",
                                                    errorHandler: .wmcoreDefault, retryManager: .standard)


    /// Makes a configuration.
    public init(agentName: String, team: String, errorHandler: ErrorPolicy, retryManager: RetryPolicy,
                groupPriorities: GroupPriorities = GroupPriorities(), workQueue: WorkQueueSettings = WorkQueueSettings(),
                jobBaggage: [String: JSONValue] = [:], workflowFailureRate: FailureRateLimit? = nil) {
        self.agentName = agentName
        self.team = team
        self.errorHandler = errorHandler
        self.retryManager = retryManager
        self.groupPriorities = groupPriorities
        self.workQueue = workQueue
        self.jobBaggage = jobBaggage
        self.workflowFailureRate = workflowFailureRate
    }

    /// Decodes a configuration; missing keys keep their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AgentConfiguration.standard
        agentName = try c.decodeIfPresent(String.self, forKey: .agentName) ?? d.agentName
        team = try c.decodeIfPresent(String.self, forKey: .team) ?? d.team
        errorHandler = try c.decodeIfPresent(ErrorPolicy.self, forKey: .errorHandler) ?? d.errorHandler
        retryManager = try c.decodeIfPresent(RetryPolicy.self, forKey: .retryManager) ?? d.retryManager
        groupPriorities = try c.decodeIfPresent(GroupPriorities.self, forKey: .groupPriorities) ?? d.groupPriorities
        workQueue = try c.decodeIfPresent(WorkQueueSettings.self, forKey: .workQueue) ?? d.workQueue
        jobBaggage = try c.decodeIfPresent([String: JSONValue].self, forKey: .jobBaggage) ?? d.jobBaggage
        workflowFailureRate = try c.decodeIfPresent(FailureRateLimit.self, forKey: .workflowFailureRate)
    }

    /// Decodes the bytes of a configuration file strictly: malformed JSON, a key this version does not know,
    /// a value of the wrong type or out of range (e.g. a negative retry limit) is a `ConfigurationError`
    /// naming `path`, the key, what was found and what is allowed. Keys left out keep their defaults.
    public init(validating bytes: [UInt8], path: String) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(path: path, field: "", expected: "a JSON object", found: "malformed JSON (\(error))")
        }
        try ConfigurationShape.agent.check(value, field: "", path: path)
        do {
            self = try JSONDecoder().decode(AgentConfiguration.self, from: Data(bytes))
        } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigurationError(path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."), expected: "\(type)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError(path: path, field: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."), expected: "a value (required)")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError(path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."), expected: context.debugDescription)
        }
    }
}

/// Work-queue settings (global and local).
public struct WorkQueueSettings: Codable, Sendable, Equatable {
    /// Priority aging: effective priority = priority + weight × seconds queued (WMCore's historical 0.01).
    public var agingWeight: Double
    /// Fraction of a site's pending slots an agent may fill with queued work (WMCore cfg: 0.5).
    public var queueDepth: Double
    /// Seconds after which an agent that stopped reporting loses its unstarted elements.
    public var agentTimeout: Double
    /// Seconds an announced request waits before it is archived (normal-archived).
    public var archiveDelay: Double
    /// The most jobs one top-level task of a request may make (`JobCeiling`, default 100,000; 1 to 10^9): a request
    /// over it is refused at submission, and by the global queue.
    public var maxJobsPerTask: Int
    /// The most jobs one element of a MonteCarlo task covers (WMCore's global queue `MaxJobsPerElement`, 1000): a
    /// request of more jobs is split into several elements, which several agents may pull (1 to 10^6).
    public var maxJobsPerElement: Int

    /// The range `maxJobsPerElement` may take.
    public static let allowedMaxJobsPerElement = 1...1_000_000

    /// Makes settings.
    public init(agingWeight: Double = 0.01, queueDepth: Double = 0.5, agentTimeout: Double = 3600, archiveDelay: Double = 86_400,
                maxJobsPerTask: Int = JobCeiling.defaultMaxJobsPerTask, maxJobsPerElement: Int = 1000) {
        self.maxJobsPerElement = maxJobsPerElement
        self.agingWeight = agingWeight
        self.queueDepth = queueDepth
        self.agentTimeout = agentTimeout
        self.archiveDelay = archiveDelay
        self.maxJobsPerTask = maxJobsPerTask
    }

    /// Decodes settings; missing keys keep their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WorkQueueSettings()
        agingWeight = try c.decodeIfPresent(Double.self, forKey: .agingWeight) ?? d.agingWeight
        queueDepth = try c.decodeIfPresent(Double.self, forKey: .queueDepth) ?? d.queueDepth
        agentTimeout = try c.decodeIfPresent(Double.self, forKey: .agentTimeout) ?? d.agentTimeout
        archiveDelay = try c.decodeIfPresent(Double.self, forKey: .archiveDelay) ?? d.archiveDelay
        // Its range (`JobCeiling.allowed`) is checked with every other key's by `ConfigurationShape.agent`.
        maxJobsPerTask = try c.decodeIfPresent(Int.self, forKey: .maxJobsPerTask) ?? d.maxJobsPerTask
        maxJobsPerElement = try c.decodeIfPresent(Int.self, forKey: .maxJobsPerElement) ?? d.maxJobsPerElement
    }
}

/// A configuration file that can't be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The field (dotted path); empty for the file as a whole.
    public var field: String
    /// What is allowed.
    public var expected: String
    /// What was found, when known.
    public var found: String?
    /// True when the file itself could not be read (missing, unreadable, not a regular file): exit 66
    /// rather than 65.
    public var missing: Bool

    /// Makes an error.
    public init(path: String, field: String, expected: String, found: String? = nil, missing: Bool = false) {
        self.path = path
        self.field = field
        self.expected = expected
        self.found = found
        self.missing = missing
    }

    public var description: String {
        "\(path): " + (field.isEmpty ? "" : "field '\(field)': ") + (found.map { "found \($0); " } ?? "") + "expected \(expected)"
    }
}
