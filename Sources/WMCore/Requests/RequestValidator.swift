/// ReqMgr2's validation at create and at assign: argument specs, casts, patterns, cross-field rules and
/// the config-cache and catalog lookups. Every problem is collected.
public struct RequestValidator: Sendable {
    /// ConfigCacheID → task configuration.
    public var configCache: any ConfigCacheLookup
    /// Dataset lookups.
    public var catalog: any CatalogLookup

    /// Makes a validator over the two lookups.
    public init(configCache: any ConfigCacheLookup, catalog: any CatalogLookup) {
        self.configCache = configCache
        self.catalog = catalog
    }

    /// Validates a submitted input: placeholders, then the create arguments, then (template form) the assignment.
    ///
    /// - Throws: `RequestRejected` with every problem of both parts.
    public func validate(_ input: RequestInput) throws(RequestRejected) -> (create: RequestArguments, assign: RequestArguments?) {
        let placeholders = input.placeholderProblems
        let placeholderFields = placeholders.map(\.field)
        /// Problems of one part, renamed `<part>.<field>`, less those a placeholder already explains.
        func unexplained(_ found: [RequestProblem], part: String) -> [RequestProblem] {
            found.map { p in var q = p; q.field = "\(part).\(p.field)"; return q }
                .filter { p in !placeholderFields.contains { $0 == p.field || $0.hasPrefix(p.field + ".") } }
        }
        var problems = placeholders
        var create: RequestArguments?
        do { create = try validateCreate(input.create) } catch {
            problems += unexplained(error.problems, part: "createRequest")
        }
        var assign: RequestArguments?
        if let raw = input.assign {
            do { assign = try validateAssign(raw, request: create ?? RequestArguments(input.create)) } catch {
                problems += unexplained(error.problems, part: "assignRequest")
            }
        }
        guard problems.isEmpty, let create else { throw RequestRejected(stage: "create", problems: problems) }
        return (create, assign)
    }

    /// Validates create arguments (flat form).
    ///
    /// - Returns: the cast arguments with defaults filled (chain items cast too).
    /// - Throws: `RequestRejected` (stage `create`) listing every problem.
    public func validateCreate(_ raw: [String: JSONValue]) throws(RequestRejected) -> RequestArguments {
        guard let typeName = raw["RequestType"], let type = typeName.stringValue.flatMap(RequestType.init(rawValue:)), !type.isTier0 else {
            throw RequestRejected(stage: "create", problems: [RequestProblem(field: "RequestType", found: raw["RequestType"],
                expected: "one of \(RequestType.submittable.map(\.rawValue).joined(separator: ", "))")])
        }
        let chain = type.chain
        var (values, problems) = Self.apply(RequestSpecs.create(type), to: raw, prefix: "",
                                            extra: { key in chain != nil && key.hasPrefix(chain!.prefix) && RequestInput.isChainItem(key) })
        if let chain {
            problems += validateChainItems(type, chain: chain, raw: raw, values: &values)
        }
        let args = RequestArguments(values)
        problems += Self.disjointProblems(args, prefix: "")
        problems += lookupProblems(type, args)
        problems += Self.validationSampleProblems(args)
        problems += Self.generatedEventProblems(args)
        problems += Self.gpuSettingProblems(args)
        guard problems.isEmpty else { throw RequestRejected(stage: "create", problems: problems) }
        return args
    }

    /// A generator task makes RequestNumEvents / FilterEfficiency events; that too must stay within
    /// `Lexicon.maxRequestEvents` (10^12 events at efficiency 10^-9 would be 10^21, past any integer).
    static func generatedEventProblems(_ args: RequestArguments) -> [RequestProblem] {
        let items = args.chainItems.isEmpty ? [(prefix: "", item: args)]
            : args.chainItems.enumerated().map { (prefix: (args.requestType?.chain?.prefix ?? "Task") + "\($0.offset + 1).", item: $0.element) }
        return items.compactMap { prefix, item in
            guard let requested = item.inheriting("RequestNumEvents", from: args)?.doubleValue,
                  requested <= Lexicon.maxRequestEvents,  // larger is refused by RequestNumEvents' own range
                  let efficiency = item.inheriting("FilterEfficiency", from: args)?.doubleValue, efficiency > 0,
                  requested / efficiency > Lexicon.maxRequestEvents else { return nil }
            return RequestProblem(field: prefix + "FilterEfficiency", found: item.inheriting("FilterEfficiency", from: args),
                                  expected: "an efficiency for which RequestNumEvents \(Int(requested)) / FilterEfficiency "
                                    + "is at most 10^12 events to generate")
        }
    }

    /// Validates assignment arguments for a (validated) request, as §11 "Validation at assign" says.
    ///
    /// - Parameters:
    ///   - status: the request's current status when known: it must be `assignment-approved` to move to `assigned`.
    /// - Throws: `RequestRejected` (stage `assign`) listing every problem.
    public func validateAssign(_ raw: [String: JSONValue], request: RequestArguments,
                               status: RequestStatus? = nil) throws(RequestRejected) -> RequestArguments {
        var (values, problems) = Self.apply(RequestSpecs.assign, to: raw, prefix: "", extra: { _ in false })
        if let status, !status.canMove(to: .assigned) {
            problems.append(RequestProblem(field: "RequestStatus", value: status.rawValue,
                                           expected: "a request in assignment-approved to move to assigned"))
        }
        let args = RequestArguments(values)
        problems += Self.disjointProblems(args, prefix: "")
        let taskNames = Set(request.chainItems.compactMap(\.itemName))
        if !taskNames.isEmpty {
            for key in ["AcquisitionEra", "ProcessingString", "ProcessingVersion", "Memory", "Multicore", "EventStreams"] {
                guard let map = values[key]?.objectValue else { continue }
                for task in map.keys.sorted() where !taskNames.contains(task) {
                    problems.append(RequestProblem(field: "\(key).\(task)", value: task,
                                                   expected: "a task of the request (\(taskNames.sorted().joined(separator: ", ")))"))
                }
            }
        }
        values.removeValue(forKey: "RequestStatus")
        // An argument given at creation and not at assignment keeps its creation value; the assignment's default only
        // fills what neither set (e.g. MinMergeSize, MaxMergeSize, MaxMergeEvents given with the request).
        for key in Self.keptFromCreation where raw[key] == nil || raw[key] == .null {
            if let created = request[key] { values[key] = created }
        }
        guard problems.isEmpty else { throw RequestRejected(stage: "assign", problems: problems) }
        return RequestArguments(values)
    }

    /// Arguments accepted at creation and at assignment whose creation value an assignment that omits them keeps.
    static let keptFromCreation = ["MinMergeSize", "MaxMergeSize", "MaxMergeEvents"]

    /// Casts and checks `raw` against `specs`: unknown keys (unless `extra` accepts them) and missing mandatory
    /// arguments are problems; absent optional arguments get their defaults; `null` counts as absent.
    static func apply(_ specs: [ArgumentSpec], to raw: [String: JSONValue], prefix: String,
                      extra: (String) -> Bool) -> ([String: JSONValue], [RequestProblem]) {
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        var values: [String: JSONValue] = [:]
        var problems: [RequestProblem] = []
        for key in raw.keys.sorted() {
            let value = raw[key]!
            guard let spec = byName[key] else {
                if extra(key) { values[key] = value } else {
                    problems.append(RequestProblem(field: prefix + key, found: value,
                        expected: "no such argument: '\(key)' is not one of the accepted arguments here"))
                }
                continue
            }
            if value == .null { continue }
            switch spec.validate(value, field: prefix + key) {
            case .success(let cast): values[key] = cast
            case .failure(let rejected): problems += rejected.problems
            }
        }
        for spec in specs.sorted(by: { $0.name < $1.name }) where values[spec.name] == nil && !problems.contains(where: { $0.field == prefix + spec.name }) {
            if spec.mandatory {
                problems.append(RequestProblem(field: prefix + spec.name, found: nil, expected: "a mandatory argument: \(spec.kind.expectation)"))
            } else if let value = spec.defaultValue {
                values[spec.name] = value
            }
        }
        return (values, problems)
    }

    /// Site, run and block white/black lists must not overlap.
    static func disjointProblems(_ args: RequestArguments, prefix: String) -> [RequestProblem] {
        var problems: [RequestProblem] = []
        for (white, black) in [("SiteWhitelist", "SiteBlacklist"), ("BlockWhitelist", "BlockBlacklist")] {
            let both = Set(args.strings(white)).intersection(args.strings(black))
            if !both.isEmpty {
                problems.append(RequestProblem(field: prefix + black, value: both.sorted().joined(separator: ", "),
                                               expected: "no entry also in \(white)"))
            }
        }
        let runs = Set(args.ints("RunWhitelist")).intersection(args.ints("RunBlacklist"))
        if !runs.isEmpty {
            problems.append(RequestProblem(field: prefix + "RunBlacklist", value: runs.sorted().map(String.init).joined(separator: ", "),
                                           expected: "no run also in RunWhitelist"))
        }
        return problems
    }

    /// `ValidationSample` must be `{"Events": N > 0, "FailureThreshold": 0...1}`.
    static func validationSampleProblems(_ args: RequestArguments) -> [RequestProblem] {
        guard let object = args["ValidationSample"]?.objectValue else { return [] }
        var problems: [RequestProblem] = []
        if (object["Events"]?.intValue ?? 0) <= 0 {
            problems.append(RequestProblem(field: "ValidationSample.Events", found: object["Events"], expected: "an integer > 0"))
        }
        if let f = object["FailureThreshold"], !(f.doubleValue.map { (0...1).contains($0) } ?? false) {
            problems.append(RequestProblem(field: "ValidationSample.FailureThreshold", found: f, expected: "a number in 0...1"))
        }
        for key in object.keys.sorted() where key != "Events" && key != "FailureThreshold" {
            problems.append(RequestProblem(field: "ValidationSample.\(key)", found: object[key], expected: "only Events and FailureThreshold"))
        }
        return problems
    }
}
