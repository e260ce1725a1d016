import Foundation

/// The JSON type of a request argument, and how ReqMgr2 casts a value to it.
public indirect enum ArgumentKind: Hashable, Sendable {
    /// A string; numbers are cast with `str()`.
    case string
    /// An integer; numeric strings and whole doubles are cast with `int()`.
    case integer
    /// A number; numeric strings are cast with `float()` (whole numbers are kept as JSON integers).
    case number
    /// A boolean; the strings `true`/`false` (any case) are cast as `strToBool` does.
    case boolean
    /// A list of strings; a single string is split on commas (`makeList`).
    case stringList
    /// A list of integers; a single value or a comma-separated string is split (`makeList` of `int`).
    case integerList
    /// A JSON object.
    case object
    /// Any JSON value (free text such as `Comments`).
    case any
    /// A lumi mask `{"run": [[first, last], ...]}`.
    case lumiList
    /// Either one value of the kind, or an object task name → value (assignment of per-task eras etc.).
    case perTask(ArgumentKind)

    /// The kind in words, for messages.
    public var expectation: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean"
        case .stringList: return "a list of strings"
        case .integerList: return "a list of integers"
        case .object: return "an object"
        case .any: return "any value"
        case .lumiList: return #"a lumi list {"run": [[first, last], ...]}"#
        case .perTask(let base): return "\(base.expectation) or an object task name → \(base.expectation)"
        }
    }
}

/// A check on a cast value (WMCore's `validate` functions and Lexicon patterns).
public enum ArgumentCheck: Hashable, Sendable {
    /// Every string matches the whole pattern; the text names the pattern for messages.
    case pattern(String, String)
    /// Every number n satisfies `min ≤ n` and, when given, `n < maxExclusive` (`n ≤ maxInclusive`).
    case range(min: Double, maxExclusive: Double? = nil, maxInclusive: Double? = nil)
    /// The string is one of these.
    case oneOf([String])
    /// A list with at least one element / a non-empty string.
    case nonEmpty
    /// Every string is a CMS site name `^T[0-3]_[A-Z]{2}(_[A-Za-z0-9]+)+$`.
    case siteNames
    /// Every string is a dataset path `/<primary>/<processed>/<TIER>`.
    case dataset
    /// Every string is an LFN base (`LFNRule.baseProblem`): `/store/...`, no `.` or `..` component, no `//`.
    case lfnBase
    /// The string is at most this many characters (WMCore's `len(x) < limit + 1`).
    case maxLength(Int)
    /// The string is a GPUParams JSON string (`GPUParameters.decode`).
    case gpuParameters
    /// The string is empty or a match expression this system evaluates (`MatchRequirement`).
    case matchRequirement
    /// The string is one or more DQM upload URLs this system can upload to (`DQMUploadTarget`).
    case dqmUploadURL
}

/// One argument of a request type: name, kind, whether mandatory, default, checks.
public struct ArgumentSpec: Hashable, Sendable {
    /// The argument name as it appears in the JSON.
    public var name: String
    /// Its JSON kind.
    public var kind: ArgumentKind
    /// True when the request must give it.
    public var mandatory: Bool
    /// The value used when it is absent (nil: left absent).
    public var defaultValue: JSONValue?
    /// Checks on the cast value.
    public var checks: [ArgumentCheck]
    /// Set for an argument whose behaviour this system does not implement: the one value that asks for nothing
    /// (WMCore's default) is accepted, any other is refused with the reason.
    public var unsupported: UnsupportedArgument?

    /// Makes an argument spec.
    public init(_ name: String, _ kind: ArgumentKind, mandatory: Bool = false, default defaultValue: JSONValue? = nil,
                _ checks: ArgumentCheck...) {
        self.name = name
        self.kind = kind
        self.mandatory = mandatory
        self.defaultValue = defaultValue
        self.checks = checks
    }

    /// The same argument made optional with no default (for per-task dicts that inherit from the top level).
    public var inherited: ArgumentSpec {
        var copy = self
        copy.mandatory = false
        copy.defaultValue = nil
        return copy
    }

    /// The same argument with its behaviour marked as not implemented: only `accepted` (WMCore's default, which
    /// asks for nothing) passes validation; any other value is refused as "`accepted`: `reason`".
    public func refused(unless accepted: JSONValue, _ reason: String) -> ArgumentSpec {
        var copy = self
        copy.unsupported = UnsupportedArgument(accepted: accepted, reason: reason)
        return copy
    }

    /// The same argument made mandatory.
    public var required: ArgumentSpec {
        var copy = self
        copy.mandatory = true
        copy.defaultValue = nil
        return copy
    }

    /// Casts `value` to the argument's kind and runs its checks, the way ReqMgr2 does.
    ///
    /// - Returns: the cast value, or the problems found (all of them), each naming `field`.
    public func validate(_ value: JSONValue, field: String) -> Result<JSONValue, RequestRejected> {
        guard let cast = Self.cast(value, to: kind) else {
            return .failure(RequestRejected(stage: "create", problems: [
                RequestProblem(field: field, found: value, expected: kind.expectation)]))
        }
        var problems = checks.compactMap { Self.problem(of: $0, on: cast, field: field) }
        if problems.isEmpty, let unsupported, let problem = unsupported.problem(with: cast, field: field) {
            problems.append(problem)
        }
        return problems.isEmpty ? .success(cast) : .failure(RequestRejected(stage: "create", problems: problems))
    }

    /// Casts a value to a kind; nil when it cannot be.
    public static func cast(_ value: JSONValue, to kind: ArgumentKind) -> JSONValue? {
        switch kind {
        case .any: return value
        case .string:
            switch value {
            case .string: return value
            case .int(let i): return .string(String(i))
            case .double(let d): return .string(String(d))
            default: return nil
            }
        case .integer:
            if let i = value.intValue { return .int(i) }
            if let s = value.stringValue, let i = Int(s.trimmingCharacters(in: .whitespaces)) { return .int(i) }
            return nil
        case .number:
            // Whole numbers are kept as integers so that documents read back equal to what was written.
            let number = value.doubleValue ?? value.stringValue.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard let d = number, d.isFinite else { return nil }
            return JSONValue.double(d).intValue.map(JSONValue.int) ?? .double(d)
        case .boolean:
            if let b = value.boolValue { return .bool(b) }
            switch value.stringValue?.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        case .stringList, .integerList:
            let element: ArgumentKind = kind == .stringList ? .string : .integer
            let items: [JSONValue]
            if let list = value.arrayValue { items = list }
            else if let s = value.stringValue {
                items = s.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }
                    .filter { $0 != .string("") }
            } else { items = [value] }
            let cast = items.compactMap { Self.cast($0, to: element) }
            return cast.count == items.count ? .array(cast) : nil
        case .object:
            return value.objectValue == nil ? nil : value
        case .lumiList:
            if case .success = LumiList.parse(value) { return value }
            return nil
        case .perTask(let base):
            if let map = value.objectValue, base != .object {
                var out: [String: JSONValue] = [:]
                for (task, item) in map {
                    guard let cast = Self.cast(item, to: base) else { return nil }
                    out[task] = cast
                }
                return .object(out)
            }
            return Self.cast(value, to: base)
        }
    }

    /// The leaves a check applies to: list elements and per-task map values, or the value itself.
    private static func leaves(of value: JSONValue) -> [JSONValue] {
        switch value {
        case .array(let items): return items
        case .object(let map): return Array(map.values)
        default: return [value]
        }
    }

    /// The problem a check finds on a cast value, if any.
    static func problem(of check: ArgumentCheck, on value: JSONValue, field: String) -> RequestProblem? {
        let leaves = leaves(of: value)
        switch check {
        case let .pattern(regex, text):
            if let bad = leaves.first(where: { ($0.stringValue).map { !WholeMatch.test($0, regex) } ?? false }) {
                return RequestProblem(field: field, found: bad, expected: "\(text) matching \(regex)")
            }
        case let .range(min, maxExclusive, maxInclusive):
            if let bad = leaves.first(where: { leaf in
                guard let n = leaf.doubleValue else { return false }
                return n < min || (maxExclusive.map { n >= $0 } ?? false) || (maxInclusive.map { n > $0 } ?? false)
            }) {
                var bounds = "a value ≥ \(Self.format(min))"
                if let m = maxExclusive { bounds += " and < \(Self.format(m))" }
                if let m = maxInclusive { bounds += " and ≤ \(Self.format(m))" }
                return RequestProblem(field: field, found: bad, expected: bounds)
            }
        case .oneOf(let allowed):
            if let bad = leaves.first(where: { ($0.stringValue).map { !allowed.contains($0) } ?? false }) {
                return RequestProblem(field: field, found: bad, expected: "one of \(allowed.joined(separator: ", "))")
            }
        case .nonEmpty:
            let empty = value.arrayValue?.isEmpty ?? (value.stringValue?.isEmpty ?? false)
            if empty { return RequestProblem(field: field, found: value, expected: "a non-empty value") }
        case .siteNames:
            if let bad = leaves.first(where: { ($0.stringValue).map { !WholeMatch.test($0, SiteName.pattern) } ?? false }) {
                return RequestProblem(field: field, found: bad, expected: "a site name matching \(SiteName.pattern)")
            }
        case .lfnBase:
            if let bad = leaves.first(where: { ($0.stringValue).map { LFNRule.baseProblem($0) != nil } ?? false }),
               let problem = bad.stringValue.flatMap(LFNRule.baseProblem) {
                return RequestProblem(field: field, found: bad, expected: "\(LFNRule.baseExpectation); \(problem)")
            }
        case .maxLength(let limit):
            if let bad = leaves.first(where: { ($0.stringValue).map { $0.count > limit } ?? false }) {
                return RequestProblem(field: field, found: bad, expected: "at most \(limit) characters")
            }
        case .gpuParameters:
            for leaf in leaves {
                guard let text = leaf.stringValue, case .failure(let problem) = GPUParameters.decode(text) else { continue }
                return RequestProblem(field: field, found: leaf, expected: problem.expected)
            }
        case .matchRequirement:
            for leaf in leaves {
                guard let text = leaf.stringValue, !text.isEmpty else { continue }
                do { _ = try MatchRequirement(text) } catch {
                    return RequestProblem(field: field, found: leaf, expected: "an HTCondor match expression this system evaluates: \(error)")
                }
            }
        case .dqmUploadURL:
            for leaf in leaves {
                guard let text = leaf.stringValue else { continue }
                do { _ = try DQMUploadTarget.targets(text) } catch {
                    return RequestProblem(field: field, found: leaf, expected: "http(s) URLs (several separated by ';') whose host and path "
                                          + "this system can confine: \(error.problem)")
                }
            }
        case .dataset:
            if let bad = leaves.first(where: { ($0.stringValue).map { DatasetName($0) == nil } ?? false }) {
                return RequestProblem(field: field, found: bad, expected: "a dataset /<primary>/<processed>/<TIER> "
                    + "(primary \(DatasetName.primaryPattern), processed \(DatasetName.processedPattern), tier \(DatasetName.tierPattern))")
            }
        }
        return nil
    }

    private static func format(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}

/// An argument ReqMgr2 accepts whose behaviour this system does not implement (issue 19: refused with a reason,
/// never accepted and ignored): the value that asks for nothing is accepted, any other is refused.
public struct UnsupportedArgument: Hashable, Sendable {
    /// The one value accepted: WMCore's default, which asks for no behaviour.
    public var accepted: JSONValue
    /// Why any other value is refused: what this system lacks.
    public var reason: String

    /// The problem with a cast value other than `accepted`, naming `field`; nil for `accepted`.
    public func problem(with value: JSONValue, field: String) -> RequestProblem? {
        value == accepted ? nil
            : RequestProblem(field: field, found: value, expected: "\(RequestProblem.render(accepted)): \(reason)")
    }
}

/// CMS site names.
public enum SiteName {
    /// The site-name pattern ReqMgr2 checks site lists with.
    public static let pattern = #"T[0-3]_[A-Z]{2}(_[A-Za-z0-9]+)+"#
}
