/// What a configuration value may be: the keys an object may have and the range of each number. Checked
/// before decoding, so an unknown key (a typo that would silently keep a default) or an out-of-range
/// value (a negative retry limit) is refused with the key named.
public indirect enum ConfigurationShape: Sendable {
    /// A string.
    case text
    /// One of these strings.
    case choice([String])
    /// `true` or `false`.
    case flag
    /// A whole number in the range.
    case integer(ClosedRange<Int>)
    /// A finite number in the range.
    case number(ClosedRange<Double>)
    /// An array whose elements have the shape.
    case list(ConfigurationShape)
    /// An object with any keys, each value of the shape.
    case map(ConfigurationShape)
    /// An object with only these keys (each optional).
    case object([String: ConfigurationShape])
    /// Any JSON value (free-form settings such as job baggage).
    case any

    /// Exit codes: CMSSW's and WMCore's codes are below 100,000; room is left for site-specific ones.
    static let exitCode = ConfigurationShape.integer(0...999_999_999)
    /// Retry counts and limits.
    static let retries = ConfigurationShape.integer(0...1000)
    /// Durations in seconds (up to about 30 years).
    static let seconds = ConfigurationShape.number(0...1e9)

    /// `etc/agent.json`.
    public static let agent = ConfigurationShape.object([
        "agentName": .text,
        "team": .text,
        "errorHandler": .object([
            "maxRetries": .map(retries),
            "noRetryExitCodes": .list(exitCode),
            "retryLimitPerExitCode": .map(retries),
            "passExitCodes": .list(exitCode),
            "maxFailTime": seconds,
            "readReport": .flag,
        ]),
        "retryManager": .object([
            "taskTypes": .map(.object([
                "algorithm": .choice(RetryAlgorithm.allCases.map(\.rawValue)),
                "coolOffTime": .map(seconds),
                "pauseCount": retries,
                "retryErrorCodes": .map(retries),
                "oneMoreErrorCodes": .list(exitCode),
            ])),
        ]),
        "groupPriorities": .object(["groups": .map(.integer(-GroupPriorities.maximum...GroupPriorities.maximum))]),
        "workQueue": .object([
            "agingWeight": .number(0...1e6),
            "queueDepth": .number(0...1),
            "agentTimeout": seconds,
            "archiveDelay": seconds,
            "maxJobsPerTask": .integer(JobCeiling.allowed),
            "maxJobsPerElement": .integer(WorkQueueSettings.allowedMaxJobsPerElement),
        ]),
        "jobBaggage": .map(.any),
        "workflowFailureRate": .object([
            "threshold": .number(0...1),
            "minimumAttempts": .integer(FailureRateLimit.allowedMinimumAttempts),
        ]),
    ])

    /// Checks `value` (at dotted `field` of the file at `path`) against the shape.
    public func check(_ value: JSONValue, field: String, path: String) throws {
        func refuse(_ expected: String) -> ConfigurationError {
            ConfigurationError(path: path, field: field, expected: expected, found: Self.describe(value))
        }
        func member(_ key: String) -> String { field.isEmpty ? key : field + "." + key }
        switch self {
        case .any: return
        case .text: guard value.stringValue != nil else { throw refuse("a string") }
        case .choice(let words):
            guard let word = value.stringValue, words.contains(word) else { throw refuse("one of " + words.joined(separator: ", ")) }
        case .flag: guard value.boolValue != nil else { throw refuse("true or false") }
        case .integer(let range):
            guard case .int(let n) = value, range.contains(n) else { throw refuse("a whole number from \(range.lowerBound) to \(range.upperBound)") }
        case .number(let range):
            guard let x = value.doubleValue, x.isFinite, range.contains(x) else { throw refuse("a number from \(range.lowerBound) to \(range.upperBound)") }
        case .list(let element):
            guard let items = value.arrayValue else { throw refuse("a list") }
            for (i, item) in items.enumerated() { try element.check(item, field: "\(field)[\(i)]", path: path) }
        case .map(let element):
            guard let members = value.objectValue else { throw refuse("an object") }
            for key in members.keys.sorted() { try element.check(members[key]!, field: member(key), path: path) }
        case .object(let keys):
            guard let members = value.objectValue else { throw refuse("an object") }
            for key in members.keys.sorted() {
                guard let shape = keys[key] else {
                    throw ConfigurationError(path: path, field: member(key), expected: "one of the known keys " + keys.keys.sorted().joined(separator: ", "),
                                             found: "an unknown key")
                }
                try shape.check(members[key]!, field: member(key), path: path)
            }
        }
    }

    /// A short description of a found value, e.g. `-1` or `"soon"` (long values cut).
    public static func describe(_ value: JSONValue) -> String {
        let text = value.serialized
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
