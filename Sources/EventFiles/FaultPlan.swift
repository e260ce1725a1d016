/// A fault the `cmsRun` stand-in should simulate for one job attempt.
public enum Fault: Sendable, Hashable, Codable {
    /// Exit with this code (e.g. 8021, 50115) after writing a report that carries it.
    case exit(code: Int)
    /// Sleep this many seconds before doing anything (a stuck job, for the tracker's timeouts).
    case hang(seconds: Double)
    /// Kill itself with this signal number (e.g. 9 or 11): no report at all.
    case crash(signal: Int32)
    /// Write a framework job report cut off in the middle (unparsable XML → 50115 downstream).
    case truncatedReport
    /// Succeed but write no output file (60450 downstream).
    case noOutput

    private enum CodingKeys: String, CodingKey { case kind, code, seconds, signal }
    private enum Kind: String, Codable { case exit, hang, crash, truncatedReport, noOutput }

    /// Decodes `{"kind": "exit", "code": 8021}`, `{"kind": "hang", "seconds": 30}`,
    /// `{"kind": "crash", "signal": 9}`, `{"kind": "truncatedReport"}` or `{"kind": "noOutput"}`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .exit: self = .exit(code: try container.decode(Int.self, forKey: .code))
        case .hang: self = .hang(seconds: try container.decode(Double.self, forKey: .seconds))
        case .crash: self = .crash(signal: try container.decode(Int32.self, forKey: .signal))
        case .truncatedReport: self = .truncatedReport
        case .noOutput: self = .noOutput
        }
    }

    /// Encodes the same shape `init(from:)` reads.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .exit(let code):
            try container.encode(Kind.exit, forKey: .kind)
            try container.encode(code, forKey: .code)
        case .hang(let seconds):
            try container.encode(Kind.hang, forKey: .kind)
            try container.encode(seconds, forKey: .seconds)
        case .crash(let signal):
            try container.encode(Kind.crash, forKey: .kind)
            try container.encode(signal, forKey: .signal)
        case .truncatedReport: try container.encode(Kind.truncatedReport, forKey: .kind)
        case .noOutput: try container.encode(Kind.noOutput, forKey: .kind)
        }
    }
}

/// One rule of a fault plan: inject `fault` with `probability` into matching job attempts.
public struct FaultRule: Sendable, Hashable, Codable {
    /// Chance in `0...1` that a matching attempt gets the fault.
    public var probability: Double
    /// The fault to inject.
    public var fault: Fault
    /// Only jobs whose name contains this text (all jobs when `nil`).
    public var jobNameContains: String?
    /// Only these retry numbers (all retries when `nil`); `[0]` fails first attempts only, so retries heal.
    public var retries: [Int]?

    /// Makes a rule.
    public init(probability: Double, fault: Fault, jobNameContains: String? = nil, retries: [Int]? = nil) {
        self.probability = probability
        self.fault = fault
        self.jobNameContains = jobNameContains
        self.retries = retries
    }

    func matches(jobName: String, retry: Int) -> Bool {
        if let text = jobNameContains, !jobName.contains(text) { return false }
        if let retries, !retries.contains(retry) { return false }
        return true
    }
}

/// Faults on demand for tests and demos, decodable from JSON such as
/// `{"seed": 7, "rules": [{"probability": 0.3, "fault": {"kind": "exit", "code": 8021}, "retries": [0]}]}`.
///
/// `decide(jobName:retry:)` walks the rules in order and returns the first fault whose rule matches
/// and whose draw falls below its probability. The draw is a pure function of (seed, job name, retry,
/// rule index) — FNV-1a over the name mixed by SplitMix64 — so the same plan gives the same answer in
/// every process and on every machine, and a retry draws afresh.
public struct FaultPlan: Sendable, Hashable, Codable {
    /// The seed of every draw.
    public var seed: UInt64
    /// The rules, first match wins.
    public var rules: [FaultRule]

    /// Makes a plan.
    public init(seed: UInt64, rules: [FaultRule]) {
        self.seed = seed
        self.rules = rules
    }

    /// The fault for this job attempt, or `nil` to run normally.
    public func decide(jobName: String, retry: Int) -> Fault? {
        for (index, rule) in rules.enumerated() where rule.matches(jobName: jobName, retry: retry) {
            if draw(jobName: jobName, retry: retry, rule: index) < rule.probability { return rule.fault }
        }
        return nil
    }

    /// A uniform number in `0..<1` determined by the seed, the job attempt and the rule.
    func draw(jobName: String, retry: Int, rule: Int) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in jobName.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        var mixed = SplitMix64.mix(seed ^ hash)
        mixed = SplitMix64.mix(mixed ^ UInt64(bitPattern: Int64(retry)))
        mixed = SplitMix64.mix(mixed ^ UInt64(rule))
        return Double(mixed >> 11) / Double(UInt64(1) << 53)
    }
}
