import Foundation

/// A request as submitted: the create arguments and, in the template form, the assignment arguments.
///
/// Two JSON forms are read: the ReqMgr2 template form `{"createRequest": {...}, "assignRequest": {...}}`
/// and the flat form (the create arguments alone).
public struct RequestInput: Hashable, Sendable {
    /// The create arguments.
    public var create: [String: JSONValue]
    /// The assignment arguments (nil in the flat form).
    public var assign: [String: JSONValue]?

    /// The text templates use for values the user must fill.
    public static let placeholderMarker = "OVERRIDE-ME"

    /// Makes an input from its two parts.
    public init(create: [String: JSONValue], assign: [String: JSONValue]? = nil) {
        self.create = create
        self.assign = assign
    }

    /// Parses either JSON form.
    ///
    /// - Throws: `RequestRejected` (stage `parse`) when the data is not a JSON object, or when
    ///   `createRequest`/`assignRequest` are not objects.
    public static func parse(_ data: Data) throws(RequestRejected) -> RequestInput {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data), let top = value.objectValue else {
            throw RequestRejected(stage: "parse", problems: [
                RequestProblem(field: "<document>", value: "\(data.count) bytes", expected: "a JSON object")])
        }
        guard top["createRequest"] != nil || top["assignRequest"] != nil else { return RequestInput(create: top) }
        var problems: [RequestProblem] = []
        let create = top["createRequest"]?.objectValue
        if create == nil {
            problems.append(RequestProblem(field: "createRequest", found: top["createRequest"], expected: "an object of create arguments"))
        }
        let assign = top["assignRequest"].map(\.objectValue)
        if case .some(.none) = assign {
            problems.append(RequestProblem(field: "assignRequest", found: top["assignRequest"], expected: "an object of assignment arguments"))
        }
        for key in top.keys.sorted() where key != "createRequest" && key != "assignRequest" {
            problems.append(RequestProblem(field: key, found: top[key], expected: "only createRequest and assignRequest at the top of a template"))
        }
        guard problems.isEmpty, let create else { throw RequestRejected(stage: "parse", problems: problems) }
        return RequestInput(create: create, assign: assign ?? nil)
    }

    /// Every value still holding an `-OVERRIDE-ME` placeholder, each with a message telling how to fill it.
    ///
    /// The key to set is the first key of the path that is not a chain item: `assignRequest.AcquisitionEra.GenSimFull`
    /// is filled with `--set AcquisitionEra=...`, `createRequest.Task1.ConfigCacheID` with `--set ConfigCacheID=...`.
    public var placeholderProblems: [RequestProblem] {
        var found: [(path: [String], value: JSONValue)] = []
        func scan(_ value: JSONValue, path: [String]) {
            switch value {
            case .string(let s) where s.contains(Self.placeholderMarker): found.append((path, value))
            case .array(let items): for item in items { scan(item, path: path) }
            case .object(let map): for k in map.keys.sorted() { scan(map[k]!, path: path + [k]) }
            default: break
            }
        }
        scan(.object(create), path: ["createRequest"])
        if let assign { scan(.object(assign), path: ["assignRequest"]) }
        return found.map { path, value in
            let key = path.dropFirst().first { !Self.isChainItem($0) } ?? path.last!
            return RequestProblem(field: path.joined(separator: "."), found: value,
                                  expected: "a real value: fill it with --set \(key)=Value (e.g. --set \(Self.example(for: key)))")
        }
    }

    /// True for `Task<N>`/`Step<N>` keys.
    public static func isChainItem(_ key: String) -> Bool {
        for prefix in ["Task", "Step"] where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if !rest.isEmpty && rest.allSatisfy(\.isNumber) { return true }
        }
        return false
    }

    /// An example `Key=Value` for messages.
    static func example(for key: String) -> String {
        switch key {
        case "Team": return "Team=production"
        case "SiteWhitelist": return "SiteWhitelist=T1_US_FNAL"
        case "AcquisitionEra": return "AcquisitionEra=Run3Summer23"
        case "ProcessingString": return "ProcessingString=TEST_v1"
        case "Campaign": return "Campaign=Run3Summer23"
        case "RequestString": return "RequestString=my_test"
        case "Dashboard": return "Dashboard=production"
        default: return "\(key)=..."
        }
    }

    /// Parses one `Key=Value` setting: the value is read as JSON when it is JSON (numbers, booleans, lists,
    /// objects, quoted strings), otherwise as a plain string. Nil when there is no `=` or no key.
    public static func parseSetting(_ text: String) -> (key: String, value: JSONValue)? {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...])
        guard !key.isEmpty else { return nil }
        if let json = try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8)) { return (key, json) }
        return (key, .string(raw))
    }

    /// Sets each key wherever it appears: at the top of `createRequest` and `assignRequest` and in every
    /// `TaskN`/`StepN` dict. Where the present value is a per-task map (e.g. `assignRequest.AcquisitionEra`
    /// `{"GenSimFull": "..."}`) and the new value is not an object, every task of the map gets the value;
    /// where the present value is a list and the new one is not, the new one is wrapped (or comma-split).
    /// An object value (task name → value) set over a plain value is taken per task: a `TaskN`/`StepN` dict gets
    /// its own task's entry (unchanged when the map has none) and the top of `createRequest` is left alone.
    /// A key found nowhere is added to `assignRequest` if it is an assignment-only argument, otherwise to
    /// `createRequest`.
    /// A dotted key `TaskN.Key` (or `StepN.Key`) sets that one key in that one task or step dict.
    public mutating func applyOverrides(_ overrides: [String: JSONValue]) {
        let createOnly = Set(RequestType.submittable.flatMap { RequestSpecs.create($0).map(\.name) })
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            // `Task1.RequestNumEvents=N` sets one key of one task (or step) dict.
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2, Self.isChainItem(parts[0]) {
                var dict = create[parts[0]]?.objectValue ?? [:]
                dict[parts[1]] = value
                create[parts[0]] = .object(dict)
                continue
            }
            var found = false
            let perTask = value.objectValue
            if let old = create[key] {
                if perTask == nil || old.objectValue != nil { create[key] = Self.replace(old, with: value) }
                found = true
            }
            for item in create.keys where Self.isChainItem(item) {
                guard var dict = create[item]?.objectValue, let old = dict[key] else { continue }
                found = true
                if let perTask, old.objectValue == nil {
                    guard let name = (dict["TaskName"] ?? dict["StepName"])?.stringValue, let entry = perTask[name] else { continue }
                    dict[key] = entry
                } else {
                    dict[key] = Self.replace(old, with: value)
                }
                create[item] = .object(dict)
            }
            if let old = assign?[key] { assign?[key] = Self.replace(old, with: value); found = true }
            guard !found else { continue }
            let assignOnly = RequestSpecs.assign.contains { $0.name == key } && !createOnly.contains(key)
            if assignOnly { assign = (assign ?? [:]).merging([key: value]) { $1 } } else { create[key] = value }
        }
    }

    /// The value that replaces `old` when `new` is set over it.
    static func replace(_ old: JSONValue, with new: JSONValue) -> JSONValue {
        switch (old, new) {
        case (.object(let map), _) where new.objectValue == nil:
            return .object(map.mapValues { _ in new })
        case (.array, .string(let s)):
            return .array(s.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        case (.array, _) where new.arrayValue == nil:
            return .array([new])
        default:
            return new
        }
    }

    /// The input as the template JSON form.
    public var json: JSONValue {
        guard let assign else { return .object(create) }
        return .object(["createRequest": .object(create), "assignRequest": .object(assign)])
    }
}
