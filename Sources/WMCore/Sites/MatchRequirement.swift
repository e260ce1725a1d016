import Foundation

/// A job's `JobExtraMatchRequirements`: WMCore hands it to HTCondor as part of the job's requirements, so a job runs
/// only where it evaluates to true. Here it is evaluated for each of the job's possible sites, in the part of HTCondor's
/// ClassAd language such requirements use:
/// - literals `true`, `false`, `undefined`, integers, reals and `"strings"` (with `\"` and `\\`);
/// - attributes of the job and of the site (`MY.` and `TARGET.` prefixes allowed, names case-insensitive):
///   `attributeNames` lists them;
/// - `!`, `&&`, `||`, `==`, `!=` (case-insensitive for strings, as ClassAds compare them), `=?=`, `=!=`, `<`, `<=`, `>`,
///   `>=`, parentheses;
/// - `regexp(pattern, string[, "i"])` and `stringListMember(item, "a,b,c"[, "i"])`.
///
/// Evaluation is three-valued as in ClassAds (`undefined` propagates; `false && undefined` is false); the job matches a
/// site only when the expression is `true`. Anything outside this part is refused when the request is validated, with
/// what was found and what is allowed, rather than accepted and never evaluated.
public struct MatchRequirement: Sendable, Hashable {
    /// The expression as written.
    public let text: String
    private let root: Node

    /// The attributes an expression may name, lowercased: the job's and its candidate site's.
    public static let attributeNames: [String] = ["wmagent_subtaskname", "wmagent_requestname", "cms_jobtype", "requestcpus",
                                                  "requestmemory", "requiresgpu", "glidein_cmssite", "gpus", "gpus_devicename"]
    /// Deepest nesting accepted (parentheses, operators, calls).
    public static let maximumDepth = 64

    /// An attribute's value.
    public enum Value: Sendable, Hashable {
        case bool(Bool), int(Int), real(Double), string(String), undefined
    }

    indirect enum Node: Sendable, Hashable {
        case literal(Value)
        case attribute(String)
        case not(Node)
        case binary(String, Node, Node)
        case call(String, [Node])
    }

    /// Parses `text`.
    /// - Throws: `MatchRequirementError` saying where the expression leaves the supported language.
    public init(_ text: String) throws(MatchRequirementError) {
        var parser = Parser(tokens: try Self.tokens(text))
        root = try parser.expression(depth: 0)
        guard parser.atEnd else { throw MatchRequirementError("unexpected '\(parser.peek ?? "")' after a complete expression") }
        self.text = text
    }

    /// The attributes of a job of `task` (path) in `workflow`, of type `taskType`, with `cores`, `memoryMB` and
    /// whether it requires a GPU, at `site` with `gpus` GPUs of model `gpuName` (undefined when not declared).
    public static func attributes(task: String, workflow: String, taskType: String, cores: Int, memoryMB: Double?,
                                  requiresGPU: Bool, site: String, gpus: Int, gpuName: String? = nil) -> [String: Value] {
        ["wmagent_subtaskname": .string(task), "wmagent_requestname": .string(workflow), "cms_jobtype": .string(taskType),
         "requestcpus": .int(cores), "requestmemory": memoryMB.map { .real($0) } ?? .undefined,
         "requiresgpu": .int(requiresGPU ? 1 : 0), "glidein_cmssite": .string(site), "gpus": .int(gpus),
         "gpus_devicename": gpuName.map { .string($0) } ?? .undefined]
    }

    /// A requirement with the attributes of one job at a candidate site.
    public typealias AtSite = (requirement: MatchRequirement, job: (Site) -> [String: Value])

    /// The job's `jobExtraMatchRequirements` with the job's attributes at a given site (what `SiteSelection.candidates`
    /// takes), nil when it has none.
    /// - Throws: `MatchRequirementError` when the document's expression is not one this system evaluates.
    public static func of(_ job: JobBody) throws(MatchRequirementError) -> AtSite? {
        guard let text = job.jobExtraMatchRequirements, !text.isEmpty else { return nil }
        let requirement = try MatchRequirement(text)
        return (requirement, { site in
            attributes(task: job.task, workflow: job.workflow, taskType: job.taskType, cores: job.cores,
                       memoryMB: job.estimatedMemory > 0 ? job.estimatedMemory : nil, requiresGPU: job.needsGPU,
                       site: site.name, gpus: site.gpus ?? 0, gpuName: site.gpuName)
        })
    }

    /// True when the expression evaluates to `true` with these attributes (lowercased names).
    public func matches(_ attributes: [String: Value]) -> Bool {
        Self.evaluate(root, attributes) == .bool(true)
    }

    // MARK: Evaluation

    private static func evaluate(_ node: Node, _ attributes: [String: Value]) -> Value {
        switch node {
        case .literal(let value): return value
        case .attribute(let name): return attributes[name] ?? .undefined
        case .not(let operand):
            guard case .bool(let b) = evaluate(operand, attributes) else { return .undefined }
            return .bool(!b)
        case .binary(let op, let lhs, let rhs):
            let left = evaluate(lhs, attributes)
            if op == "&&", left == .bool(false) { return .bool(false) }
            if op == "||", left == .bool(true) { return .bool(true) }
            return combine(op, left, evaluate(rhs, attributes))
        case .call(let name, let arguments):
            let values = arguments.map { evaluate($0, attributes) }
            let caseless = values.count == 3 && (values[2] == .string("i") || values[2] == .string("I"))
            switch (name, values.count >= 2 ? values[0] : .undefined, values.count >= 2 ? values[1] : .undefined) {
            case ("regexp", .string(let pattern), .string(let target)):
                guard let regex = try? NSRegularExpression(pattern: pattern, options: caseless ? [.caseInsensitive] : []) else { return .undefined }
                return .bool(regex.firstMatch(in: target, range: NSRange(target.startIndex..., in: target)) != nil)
            case ("stringlistmember", .string(let item), .string(let list)):
                let members = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                return .bool(members.contains { caseless ? $0.caseInsensitiveCompare(item) == .orderedSame : $0 == item })
            default: return .undefined
            }
        }
    }

    private static func combine(_ op: String, _ left: Value, _ right: Value) -> Value {
        switch op {
        case "=?=": return .bool(left == right)
        case "=!=": return .bool(left != right)
        case "&&", "||":
            guard case .bool(let l) = left, case .bool(let r) = right else {
                // false && undefined is false, true || undefined is true (handled before); the rest is undefined.
                if op == "&&", right == .bool(false) { return .bool(false) }
                if op == "||", right == .bool(true) { return .bool(true) }
                return .undefined
            }
            return .bool(op == "&&" ? l && r : l || r)
        default:
            if case .string(let l) = left, case .string(let r) = right {
                let order = l.caseInsensitiveCompare(r)
                switch op {
                case "==": return .bool(order == .orderedSame)
                case "!=": return .bool(order != .orderedSame)
                default: return .undefined
                }
            }
            guard let l = number(left), let r = number(right) else { return .undefined }
            switch op {
            case "==": return .bool(l == r)
            case "!=": return .bool(l != r)
            case "<": return .bool(l < r)
            case "<=": return .bool(l <= r)
            case ">": return .bool(l > r)
            case ">=": return .bool(l >= r)
            default: return .undefined
            }
        }
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let n): return Double(n)
        case .real(let x): return x
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    // MARK: Parsing

    private static let operators = ["=?=", "=!=", "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", ","]

    private static func tokens(_ text: String) throws(MatchRequirementError) -> [String] {
        var tokens: [String] = []
        var rest = Substring(text)
        while let first = rest.first {
            if first.isWhitespace { rest = rest.dropFirst(); continue }
            if first == "\"" {
                var literal = "\""
                var index = rest.index(after: rest.startIndex)
                var closed = false
                while index < rest.endIndex {
                    let c = rest[index]
                    if c == "\\" {
                        let next = rest.index(after: index)
                        guard next < rest.endIndex else { break }
                        literal.append(rest[next])
                        index = rest.index(after: next)
                        continue
                    }
                    index = rest.index(after: index)
                    if c == "\"" { closed = true; break }
                    literal.append(c)
                }
                guard closed else { throw MatchRequirementError("a string that is not closed") }
                tokens.append(literal)
                rest = rest[index...]
                continue
            }
            if let op = operators.first(where: { rest.hasPrefix($0) }) {
                tokens.append(op)
                rest = rest.dropFirst(op.count)
                continue
            }
            let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            guard !word.isEmpty else { throw MatchRequirementError("'\(first)' is not part of the supported ClassAd expressions") }
            tokens.append(String(word))
            rest = rest.dropFirst(word.count)
        }
        return tokens
    }

    private struct Parser {
        let tokens: [String]
        var position = 0

        var atEnd: Bool { position >= tokens.count }
        var peek: String? { atEnd ? nil : tokens[position] }

        mutating func next() -> String? {
            defer { position += 1 }
            return peek
        }

        mutating func expect(_ token: String) throws(MatchRequirementError) {
            guard next() == token else { throw MatchRequirementError("expected '\(token)'") }
        }

        mutating func expression(depth: Int) throws(MatchRequirementError) -> Node {
            try binary(levels: [["||"], ["&&"], ["==", "!=", "=?=", "=!="], ["<", "<=", ">", ">="]], depth: depth)
        }

        mutating func binary(levels: [[String]], depth: Int) throws(MatchRequirementError) -> Node {
            guard let level = levels.first else { return try unary(depth: depth) }
            var node = try binary(levels: Array(levels.dropFirst()), depth: depth)
            while let op = peek, level.contains(op) {
                position += 1
                node = .binary(op, node, try binary(levels: Array(levels.dropFirst()), depth: depth))
            }
            return node
        }

        mutating func unary(depth: Int) throws(MatchRequirementError) -> Node {
            guard depth < MatchRequirement.maximumDepth else {
                throw MatchRequirementError("nested deeper than \(MatchRequirement.maximumDepth) levels")
            }
            guard let token = next() else { throw MatchRequirementError("the expression ends where a value was expected") }
            switch token {
            case "!": return .not(try unary(depth: depth + 1))
            case "(":
                let inner = try expression(depth: depth + 1)
                try expect(")")
                return inner
            default: break
            }
            if token.hasPrefix("\"") { return .literal(.string(String(token.dropFirst()))) }
            if let n = Int(token) { return .literal(.int(n)) }
            if let x = Double(token), x.isFinite, token.first?.isNumber == true { return .literal(.real(x)) }
            switch token.lowercased() {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "undefined": return .literal(.undefined)
            default: break
            }
            let lower = token.lowercased()
            if peek == "(" {
                guard ["regexp", "stringlistmember"].contains(lower) else {
                    throw MatchRequirementError("function '\(token)' is not supported (regexp and stringListMember are)")
                }
                position += 1
                var arguments: [Node] = []
                while peek != ")" {
                    arguments.append(try expression(depth: depth + 1))
                    if peek == "," { position += 1 } else { break }
                }
                try expect(")")
                guard (2...3).contains(arguments.count) else {
                    throw MatchRequirementError("\(token) takes 2 or 3 arguments, got \(arguments.count)")
                }
                if lower == "regexp", case .literal(.string(let pattern)) = arguments[0],
                   (try? NSRegularExpression(pattern: pattern)) == nil {
                    throw MatchRequirementError("regexp pattern \"\(pattern)\" is not a valid regular expression")
                }
                return .call(lower, arguments)
            }
            let name = lower.hasPrefix("my.") ? String(lower.dropFirst(3)) : lower.hasPrefix("target.") ? String(lower.dropFirst(7)) : lower
            guard MatchRequirement.attributeNames.contains(name) else {
                throw MatchRequirementError("attribute '\(token)' is not known here (known: \(MatchRequirement.attributeNames.joined(separator: ", ")))")
            }
            return .attribute(name)
        }
    }
}

/// Why a `JobExtraMatchRequirements` expression cannot be used.
public struct MatchRequirementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, in words.
    public var description: String
    init(_ description: String) { self.description = description }
}
