/// Validated, cast arguments (create or assign), kept as JSON with typed accessors.
///
/// Encoded as the plain JSON object of the arguments.
public struct RequestArguments: Codable, Hashable, Sendable {
    /// The arguments by name, cast and with defaults filled.
    public var values: [String: JSONValue]

    /// Wraps arguments.
    public init(_ values: [String: JSONValue] = [:]) { self.values = values }

    /// Decodes the JSON object.
    public init(from decoder: Decoder) throws { values = try [String: JSONValue](from: decoder) }
    /// Encodes the JSON object.
    public func encode(to encoder: Encoder) throws { try values.encode(to: encoder) }

    /// The raw value of an argument.
    public subscript(_ key: String) -> JSONValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// A string argument.
    public func string(_ key: String) -> String? { values[key]?.stringValue }
    /// An integer argument.
    public func int(_ key: String) -> Int? { values[key]?.intValue }
    /// A numeric argument.
    public func double(_ key: String) -> Double? { values[key]?.doubleValue }
    /// A boolean argument.
    public func bool(_ key: String) -> Bool? { values[key]?.boolValue }
    /// A string-list argument.
    public func strings(_ key: String) -> [String] { values[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// An integer-list argument.
    public func ints(_ key: String) -> [Int] { values[key]?.arrayValue?.compactMap(\.intValue) ?? [] }

    /// A per-task argument: the entry for `task` when the value is a map task → value, else the value itself.
    public func perTask(_ key: String, task: String) -> JSONValue? {
        guard let value = values[key] else { return nil }
        if let map = value.objectValue { return map[task] }
        return value
    }

    /// `RequestType`.
    public var requestType: RequestType? { string("RequestType").flatMap(RequestType.init(rawValue:)) }
    /// `RequestString`.
    public var requestString: String { string("RequestString") ?? "" }
    /// `Requestor` (ReqMgr2 sets it from the user; default `operator`).
    public var requestor: String { string("Requestor") ?? "operator" }
    /// `Group`: the requestor's group, used for the group priority.
    public var group: String { string("Group") ?? "DATAOPS" }
    /// `RequestPriority` (default 8000).
    public var priority: Int { int("RequestPriority") ?? 8000 }
    /// `Campaign`.
    public var campaign: String { string("Campaign") ?? "" }
    /// `SiteWhitelist`.
    public var siteWhitelist: [String] { strings("SiteWhitelist") }
    /// `SiteBlacklist`.
    public var siteBlacklist: [String] { strings("SiteBlacklist") }
    /// `Team` (assignment).
    public var team: String { string("Team") ?? "" }
    /// `TrustSitelists`.
    public var trustSitelists: Bool { bool("TrustSitelists") ?? false }

    /// The input selection given by `BlockWhitelist`, `BlockBlacklist`, `RunWhitelist`, `RunBlacklist`, `LumiList`.
    public var inputSelection: InputSelection {
        var lumiList: LumiList?
        if let value = values["LumiList"], case .success(let list) = LumiList.parse(value) { lumiList = list }
        return InputSelection(blockWhitelist: strings("BlockWhitelist"), blockBlacklist: strings("BlockBlacklist"),
                              runWhitelist: ints("RunWhitelist"), runBlacklist: ints("RunBlacklist"), lumiList: lumiList)
    }

    /// The `TaskN`/`StepN` dicts in order (empty for non-chain types).
    public var chainItems: [RequestArguments] {
        guard let chain = requestType?.chain, let count = int(chain.countKey) else { return [] }
        return (1...max(1, count)).compactMap { values["\(chain.prefix)\($0)"]?.objectValue }.map(RequestArguments.init)
    }

    /// The task or step name of a chain item.
    public var itemName: String? { string("TaskName") ?? string("StepName") }
    /// The parent task or step a chain item reads from.
    public var itemInput: String? { string("InputTask") ?? string("InputStep") }

    /// Lookup with inheritance: this item's value, else the top-level value.
    public func inheriting(_ key: String, from top: RequestArguments) -> JSONValue? { values[key] ?? top[key] }

    /// The `ValidationSample` argument: `{"Events": N, "FailureThreshold": f}`.
    public var validationSample: ValidationSampleRequest? {
        guard let object = values["ValidationSample"]?.objectValue,
              let events = object["Events"]?.intValue, events > 0 else { return nil }
        return ValidationSampleRequest(events: events, failureThreshold: object["FailureThreshold"]?.doubleValue ?? 0.1)
    }
}

/// What a request asks of its validation sample (argument `ValidationSample`).
///
/// `{"ValidationSample": {"Events": 500, "FailureThreshold": 0.2}}` makes the work queue release a first slice
/// of (about) 500 events at top priority and hold the rest until that slice finishes with a job failure
/// fraction at or below the threshold. `FailureThreshold` defaults to 0.1.
public struct ValidationSampleRequest: Codable, Hashable, Sendable {
    /// Events in the sample.
    public var events: Int
    /// Highest acceptable fraction of failed jobs in the sample, 0...1.
    public var failureThreshold: Double

    /// Makes a sample request.
    public init(events: Int, failureThreshold: Double) {
        self.events = events
        self.failureThreshold = failureThreshold
    }
}
