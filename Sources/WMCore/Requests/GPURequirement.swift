import DynamicJSON

/// Whether a task's jobs need a GPU (ReqMgr2's `RequiresGPU`, WMCore's job `requiresGPU`).
public enum GPURequirement: String, Codable, Sendable, CaseIterable, Comparable {
    /// The job must not run on a GPU (the default).
    case forbidden
    /// The job may use a GPU where there is one, and runs anywhere.
    case optional
    /// The job runs only where there is a GPU.
    case required

    /// The stronger of two needs, as WMCore's `getRequiresGPU` weighs a multi-step task: required, then optional,
    /// then forbidden.
    public static func < (lhs: GPURequirement, rhs: GPURequirement) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .forbidden: return 0
        case .optional: return 1
        case .required: return 2
        }
    }
}

/// ReqMgr2's `GPUParams`: a JSON-encoded string holding `null` or an object with the mandatory `GPUMemoryMB` (integer > 0),
/// `CUDACapabilities` (a non-empty list of versions) and `CUDARuntime` (a version), and the optional `GPUName` (at most
/// 100 characters), `CUDADriverVersion` and `CUDARuntimeVersion` (versions), as WMCore's `Lexicon.gpuParameters` checks it.
/// A version is `\d+\.\d+(\.\d+)?`, at most 100 characters.
public enum GPUParameters {
    /// The keys every GPUParams object must have.
    public static let mandatoryKeys = ["CUDACapabilities", "CUDARuntime", "GPUMemoryMB"]
    /// The keys it may have besides.
    public static let optionalKeys = ["CUDADriverVersion", "CUDARuntimeVersion", "GPUName"]
    /// A CUDA version (WMCore's `CUDA_VERSION_REGEX`).
    public static let versionPattern = #"\d+\.\d+(\.\d+)?"#
    /// The largest `GPUMemoryMB` (as `Lexicon.maxMemoryMB`).
    public static let maxMemoryMB = Int(Lexicon.maxMemoryMB)

    /// The decoded object of a GPUParams string: nil for `"null"`; the problem (in words) when it is not valid.
    public static func decode(_ text: String) -> Result<[String: JSONValue]?, GPUParametersProblem> {
        guard text.utf8.count <= 100_000, let value = try? JSONValue.parse(Array(text.utf8)) else {
            return .failure(GPUParametersProblem("a JSON-encoded string (null or an object)"))
        }
        if value == .null { return .success(nil) }
        guard let object = value.objectValue else { return .failure(GPUParametersProblem("null or a JSON object")) }
        let keys = Set(object.keys)
        let missing = mandatoryKeys.filter { !keys.contains($0) }
        if !missing.isEmpty { return .failure(GPUParametersProblem("an object with \(mandatoryKeys.joined(separator: ", ")); missing \(missing.joined(separator: ", "))")) }
        let unknown = keys.subtracting(mandatoryKeys + optionalKeys).sorted()
        if !unknown.isEmpty {
            return .failure(GPUParametersProblem("only \((mandatoryKeys + optionalKeys).joined(separator: ", ")); unsupported \(unknown.joined(separator: ", "))"))
        }
        guard let memory = object["GPUMemoryMB"], case .int(let mb) = memory, (1...maxMemoryMB).contains(mb) else {
            return .failure(GPUParametersProblem("GPUMemoryMB an integer from 1 to \(maxMemoryMB)"))
        }
        guard let capabilities = object["CUDACapabilities"]?.arrayValue, !capabilities.isEmpty,
              capabilities.allSatisfy({ isVersion($0) }) else {
            return .failure(GPUParametersProblem("CUDACapabilities a non-empty list of versions matching \(versionPattern)"))
        }
        for key in ["CUDARuntime", "CUDADriverVersion", "CUDARuntimeVersion"] {
            if let version = object[key], !isVersion(version) {
                return .failure(GPUParametersProblem("\(key) a version matching \(versionPattern)"))
            }
        }
        if let name = object["GPUName"], !(name.stringValue.map { $0.count <= 100 } ?? false) {
            return .failure(GPUParametersProblem("GPUName a string of at most 100 characters"))
        }
        return .success(object)
    }

    /// What of the decoded `requirements` the GPUs of `site` do not meet, in words; nil when they meet all of it. As the
    /// CMS glidein matching does: the site's GPU memory at least `GPUMemoryMB`, one of `CUDACapabilities` among the
    /// site's capabilities, its CUDA runtime at least `CUDARuntime`, and its model `GPUName` when one is asked for. A
    /// property the site does not declare is not met (HTCondor's undefined).
    public static func unmet(_ requirements: [String: JSONValue], at site: Site) -> String? {
        if case .int(let mb)? = requirements["GPUMemoryMB"], (site.gpuMemoryMB ?? 0) < mb {
            return "GPUMemoryMB \(mb) (the site's GPUs have \(site.gpuMemoryMB.map { "\($0) MB" } ?? "no gpuMemoryMB declared"))"
        }
        if let wanted = requirements["CUDACapabilities"]?.arrayValue?.compactMap(\.stringValue), !wanted.isEmpty,
           Set(wanted).isDisjoint(with: site.cudaCapabilities ?? []) {
            return "one of CUDACapabilities \(wanted.joined(separator: ",")) (the site's: \((site.cudaCapabilities ?? []).joined(separator: ",")))"
        }
        if let runtime = requirements["CUDARuntime"]?.stringValue,
           !(site.cudaRuntime.map { version($0, isAtLeast: runtime) } ?? false) {
            return "CUDARuntime \(runtime) (the site's: \(site.cudaRuntime ?? "not declared"))"
        }
        if let name = requirements["GPUName"]?.stringValue, site.gpuName != name {
            return "GPUName \(name) (the site's: \(site.gpuName ?? "not declared"))"
        }
        return nil
    }

    /// True when dotted version `a` is at least `b`, numerically part by part (missing parts are 0).
    static func version(_ a: String, isAtLeast b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
        for i in 0..<max(x.count, y.count) {
            let (p, q) = (i < x.count ? x[i] : 0, i < y.count ? y[i] : 0)
            if p != q { return p > q }
        }
        return true
    }

    private static func isVersion(_ value: JSONValue) -> Bool {
        guard let text = value.stringValue, text.utf8.count <= 100 else { return false }
        return WholeMatch.test(text, versionPattern)
    }
}

/// What a GPUParams string should have been, in words.
public struct GPUParametersProblem: Error, Equatable, Sendable {
    /// The expectation it failed.
    public var expected: String
    /// Makes a problem.
    public init(_ expected: String) { self.expected = "GPUParams: " + expected }
}

/// A task's GPU settings as they reach its jobs: `requiresGPU` and the GPUParams object (`gpuRequirements`).
public struct GPUSettings: Codable, Hashable, Sendable {
    /// Whether the jobs need a GPU.
    public var requiresGPU: GPURequirement
    /// The decoded GPUParams (nil: none given).
    public var gpuRequirements: [String: JSONValue]?

    /// Makes settings.
    public init(requiresGPU: GPURequirement = .forbidden, gpuRequirements: [String: JSONValue]? = nil) {
        self.requiresGPU = requiresGPU
        self.gpuRequirements = gpuRequirements
    }

    /// The settings of a job running every one of `steps` (a StepChain): the strongest need, and the first step's
    /// GPUParams that says anything (WMCore's `getRequiresGPU` and `getGPURequirements`).
    public static func combined(_ steps: [GPUSettings]) -> GPUSettings {
        GPUSettings(requiresGPU: steps.map(\.requiresGPU).max() ?? .forbidden,
                    gpuRequirements: steps.lazy.compactMap(\.gpuRequirements).first { !$0.isEmpty })
    }
}

extension RequestArguments {
    /// The GPU settings of this request (or of this `TaskN`/`StepN` dict, inheriting from `request`), as StdBase sets them
    /// on a task: `RequiresGPU` (default forbidden) and the decoded `GPUParams`; nil GPUParams when it is `null` or invalid
    /// (the validator refuses invalid ones).
    public func gpuSettings(inheritingFrom request: RequestArguments? = nil) -> GPUSettings {
        let value = { (key: String) in request.map { self.inheriting(key, from: $0) } ?? self[key] }
        let requires = value("RequiresGPU")?.stringValue.flatMap(GPURequirement.init(rawValue:)) ?? .forbidden
        let params = value("GPUParams")?.stringValue.flatMap { try? GPUParameters.decode($0).get() } ?? nil
        return GPUSettings(requiresGPU: requires, gpuRequirements: params)
    }
}

extension RequestValidator {
    /// A request (or task, or step) with `RequiresGPU` optional or required must give GPUParams that are not `null`
    /// (WMCore's `StdBase.validateGPUSettings`); a task or step inherits both from the top level.
    static func gpuSettingProblems(_ args: RequestArguments) -> [RequestProblem] {
        let prefix = args.requestType?.chain?.prefix ?? "Task"
        let items = [(field: "", settings: args.gpuSettings())]
            + args.chainItems.enumerated().map { (field: prefix + "\($0.offset + 1).", settings: $0.element.gpuSettings(inheritingFrom: args)) }
        return items.compactMap { field, settings in
            guard settings.requiresGPU != .forbidden, settings.gpuRequirements == nil else { return nil }
            return RequestProblem(field: field + "GPUParams", value: "null",
                                  expected: "GPUParams with \(GPUParameters.mandatoryKeys.joined(separator: ", ")) when RequiresGPU is \(settings.requiresGPU.rawValue)")
        }
    }
}
