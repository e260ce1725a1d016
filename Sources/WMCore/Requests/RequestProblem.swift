/// One thing wrong with a request: the field, the value found, and what was expected.
///
/// Validation collects every problem rather than stopping at the first one.
public struct RequestProblem: Hashable, Sendable, CustomStringConvertible {
    /// The field, as a path: `RequestPriority`, `Task2.InputFromOutputModule`, `assignRequest.Team`.
    public var field: String
    /// The value found, rendered as text (`<missing>` when absent).
    public var value: String
    /// What was expected, in words.
    public var expected: String

    /// Makes a problem.
    public init(field: String, value: String, expected: String) {
        self.field = field
        self.value = value
        self.expected = expected
    }

    /// Makes a problem for a JSON value found (nil: the field is missing).
    public init(field: String, found: JSONValue?, expected: String) {
        self.init(field: field, value: found.map(RequestProblem.render) ?? "<missing>", expected: expected)
    }

    /// `field 'Task2.InputTask': found "X"; expected ...`.
    public var description: String { "\(field): found \(value); expected \(expected)" }

    /// A short textual form of a JSON value for messages.
    public static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(render).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { "\"\($0)\": \(render(o[$0]!))" }.joined(separator: ", ") + "}"
        }
    }
}

/// A request that was refused, with every problem found.
public struct RequestRejected: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done: `create`, `assign`, `parse`.
    public var stage: String
    /// Every problem found, in field order.
    public var problems: [RequestProblem]

    /// Makes the error.
    public init(stage: String, problems: [RequestProblem]) {
        self.stage = stage
        self.problems = problems
    }

    /// One line per problem under a heading.
    public var description: String {
        "request refused at \(stage) (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }

    /// The fields named by the problems.
    public var fields: Set<String> { Set(problems.map(\.field)) }
}
