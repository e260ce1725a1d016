import JobSplitting

/// The schema version of request documents this code reads and writes.
public let requestSchemaVersion = 1

/// Counts of a request's work-queue elements, by status.
public struct ElementsSummary: Codable, Hashable, Sendable {
    /// Element status name → number of elements.
    public var byStatus: [String: Int]
    /// Estimated jobs over all elements.
    public var jobs: Int

    /// Makes an empty summary.
    public init(byStatus: [String: Int] = [:], jobs: Int = 0) {
        self.byStatus = byStatus
        self.jobs = jobs
    }

    /// Number of elements.
    public var total: Int { byStatus.values.reduce(0, +) }
}

/// A ReqMgr2 request: validated create arguments, assignment, priorities, element summary and state history.
///
/// Stored as `<name>.json`; unknown keys survive through `Annotated`.
public struct RequestBody: StatefulBody, Hashable {
    /// Schema version (`requestSchemaVersion`).
    public var schema: Int
    /// Request name, `<Requestor>_<RequestString>_<yymmdd>_<HHMMSS>_<nnnn>`.
    public var name: String
    /// Request type.
    public var requestType: RequestType
    /// Who asked for it.
    public var requestor: String
    /// The requestor's group.
    public var group: String
    /// The validated create arguments (cast, defaults filled).
    public var arguments: RequestArguments
    /// The validated assignment arguments, once assigned.
    public var assignment: RequestArguments?
    /// `RequestPriority` (0 ≤ p < 1,000,000).
    public var priority: Int
    /// Priority combined with the group's (see `GroupPriorities`).
    public var effectivePriority: Int
    /// The team the request is assigned to ("" before assignment).
    public var team: String
    /// Work-queue elements made for it.
    public var elements: ElementsSummary
    /// Creation time, seconds since the epoch.
    public var creationTime: Double
    /// Last change, seconds since the epoch.
    public var lastUpdate: Double
    /// Current status.
    public var state: RequestStatus
    /// Every transition, oldest first.
    public var history: [Transition]

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, name, requestType, requestor, group, arguments, assignment, priority, effectivePriority, team
        case elements, creationTime, lastUpdate, state, history
    }

    /// Makes a request in status `new` from validated create arguments.
    public init(name: String, arguments: RequestArguments, groupPriorities: GroupPriorities = GroupPriorities(),
                at time: Double) {
        schema = requestSchemaVersion
        self.name = name
        requestType = arguments.requestType ?? .taskChain
        requestor = arguments.requestor
        group = arguments.group
        var args = arguments
        args["RequestName"] = .string(name)
        self.arguments = args
        assignment = nil
        priority = arguments.priority
        effectivePriority = groupPriorities.effective(requestPriority: arguments.priority, group: arguments.group)
        team = ""
        elements = ElementsSummary()
        creationTime = time
        lastUpdate = time
        state = .new
        history = [Transition(from: "none", to: RequestStatus.new.rawValue, time: time, actor: requestor, reason: "created")]
    }

    /// Records a validated assignment and moves to `assigned`.
    ///
    /// - Throws: `StateError.illegalTransition` unless the request is `assignment-approved`.
    public mutating func assign(_ assignment: RequestArguments, groupPriorities: GroupPriorities = GroupPriorities(),
                                actor: String, at time: Double) throws {
        try transition(to: .assigned, actor: actor, reason: "assigned to team \(assignment.team)", at: time)
        self.assignment = assignment
        team = assignment.team
        if let p = assignment.int("RequestPriority") { setPriority(p, groupPriorities: groupPriorities) }
        lastUpdate = time
    }

    /// Changes the priority where ReqMgr2 allows it (new through running-closed).
    ///
    /// - Throws: `RequestEditError.priorityNotEditable` in other statuses, `.priorityOutOfRange` outside 0..<1,000,000.
    public mutating func editPriority(_ value: Int, groupPriorities: GroupPriorities = GroupPriorities(), at time: Double) throws {
        guard state.allowsPriorityEdit else { throw RequestEditError.priorityNotEditable(request: name, status: state.rawValue) }
        guard (0..<1_000_000).contains(value) else { throw RequestEditError.priorityOutOfRange(request: name, value: value) }
        setPriority(value, groupPriorities: groupPriorities)
        lastUpdate = time
    }

    private mutating func setPriority(_ value: Int, groupPriorities: GroupPriorities) {
        priority = value
        arguments["RequestPriority"] = .int(value)
        effectivePriority = groupPriorities.effective(requestPriority: value, group: group)
    }

    /// Why the request failed, while it is in `failed`: the reason of its last move there.
    public var failureReason: String? {
        guard state == .failed else { return nil }
        return history.last { $0.to == RequestStatus.failed.rawValue }?.reason
    }

    /// Refreshes the element summary from the request's elements.
    public mutating func summarize(elements statuses: [(status: ElementStatus, jobs: Int)]) {
        var counts: [String: Int] = [:]
        for entry in statuses { counts[entry.status.rawValue, default: 0] += 1 }
        elements = ElementsSummary(byStatus: counts, jobs: SaturatingArithmetic.sum(statuses.lazy.map(\.jobs)))
    }
}

/// Refused edits of a request document.
public enum RequestEditError: Error, Equatable, CustomStringConvertible {
    /// ReqMgr2 allows priority edits only from new through running-closed.
    case priorityNotEditable(request: String, status: String)
    /// Priorities must satisfy 0 ≤ p < 1,000,000.
    case priorityOutOfRange(request: String, value: Int)

    public var description: String {
        switch self {
        case let .priorityNotEditable(request, status):
            return "request \(request) field RequestPriority: cannot be edited in status \(status); expected new through running-closed"
        case let .priorityOutOfRange(request, value):
            return "request \(request) field RequestPriority: \(value); expected 0 ≤ priority < 1000000"
        }
    }
}

/// A request document as stored: the typed body plus any keys operators added.
public typealias RequestDocument = Annotated<RequestBody>
