import Foundation

/// The sites the agent may submit to: `<spool>/etc/sites.json` when present, else the built-in defaults.
///
/// The defaults are the project's `etc/sites.json` (`T1_US_FNAL` and `T2_CH_CERN`, both on the `local`
/// plugin), embedded here so a fresh spool works without any file.
public struct SiteConfiguration: Codable, Sendable, Hashable {
    /// Schema version of the file (`SiteConfiguration.schemaVersion`).
    public var schema: Int
    /// The sites, in file order.
    public var sites: [Site]

    /// The schema version this code reads and writes.
    public static let schemaVersion = 1

    /// Makes a configuration.
    public init(sites: [Site]) {
        schema = Self.schemaVersion
        self.sites = sites
    }

    /// The site called `name`, if configured.
    public func site(named name: String) -> Site? { sites.first { $0.name == name } }

    /// The built-in defaults (the project's `etc/sites.json`).
    public static func defaults() -> SiteConfiguration {
        // The embedded text is checked by the tests against etc/sites.json; it always decodes.
        try! decode(Array(defaultJSON.utf8), file: "built-in etc/sites.json")
    }

    /// Decodes and validates a configuration file.
    ///
    /// - Throws: `SiteConfigurationError` naming the file, the field and what was expected.
    public static func decode(_ bytes: [UInt8], file: String) throws -> SiteConfiguration {
        // A key this version does not know (a typo such as `gpumemoryMB`) would silently keep a default: refused.
        if let value = try? JSONValue.parse(bytes) {
            do { try shape.check(value, field: "", path: file) } catch let error as ConfigurationError {
                throw SiteConfigurationError.badValue(file: file, field: error.field, found: error.found ?? "", expected: error.expected)
            }
        }
        let config: SiteConfiguration
        do {
            config = try JSONDecoder().decode(SiteConfiguration.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw SiteConfigurationError.unreadable(file: file, detail: describe(error))
        }
        try config.validate(file: file)
        return config
    }

    /// The keys `sites.json` may have (values are checked by decoding and `validate`).
    static let shape: ConfigurationShape = {
        let slots = ConfigurationShape.object(["pendingSlots": .any, "runningSlots": .any])
        return .object([
            "schema": .any,
            "sites": .list(.object([
                "name": .any, "state": .any, "stateTime": .any, "slots": slots, "taskSlots": .map(slots),
                "compute": .object(["plugin": .any, "slots": .any, "partition": .any, "sbatchArguments": .any, "payload": .any,
                                      "runSeconds": .any, "failureRate": .any, "timeScale": .any, "seed": .any]),
                "storageElement": .any, "pfnPrefix": .any,
                "gpus": .any, "gpuName": .any, "gpuMemoryMB": .any, "cudaCapabilities": .any, "cudaRuntime": .any,
            ])),
        ])
    }()

    /// Encodes the configuration as pretty, sorted JSON.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Checks the schema, unique names, known plugins, non-negative slots, the `sim` settings and GPUs within 0...`Site.maxGPUs`.
    public func validate(file: String) throws {
        guard schema == Self.schemaVersion else {
            throw SiteConfigurationError.badValue(file: file, field: "schema", found: String(schema), expected: String(Self.schemaVersion))
        }
        var seen: Set<String> = []
        for (index, site) in sites.enumerated() {
            let at = "sites[\(index)]"
            guard !site.name.isEmpty, seen.insert(site.name).inserted else {
                throw SiteConfigurationError.badValue(file: file, field: at + ".name", found: site.name, expected: "a unique, non-empty CMS site name")
            }
            guard ComputeSettings.knownPlugins.contains(site.compute.plugin) else {
                throw SiteConfigurationError.badValue(file: file, field: at + ".compute.plugin", found: site.compute.plugin,
                                                      expected: ComputeSettings.knownPlugins.joined(separator: " or "))
            }
            if site.compute.plugin == "local", (site.compute.slots ?? 1) < 1 {
                throw SiteConfigurationError.badValue(file: file, field: at + ".compute.slots", found: String(site.compute.slots ?? 0), expected: "a count of at least 1")
            }
            if let payload = site.compute.payload, site.compute.plugin != "local" || !ComputeSettings.knownPayloads.contains(payload) {
                throw SiteConfigurationError.badValue(file: file, field: at + ".compute.payload", found: payload,
                                                      expected: "absent, or for the local plugin " + ComputeSettings.knownPayloads.joined(separator: " or "))
            }
            if let problem = site.compute.simulationProblem() {
                throw SiteConfigurationError.badValue(file: file, field: at + ".compute." + problem.field, found: problem.found,
                                                      expected: problem.expected)
            }
            if let gpus = site.gpus, !(0...Site.maxGPUs).contains(gpus) {
                throw SiteConfigurationError.badValue(file: file, field: at + ".gpus", found: String(gpus),
                                                      expected: "a count of GPUs from 0 to \(Site.maxGPUs) (absent means 0)")
            }
            if let model = site.gpuName, model.isEmpty || model.count > 200 || model.contains(where: { $0.isNewline }) {
                throw SiteConfigurationError.badValue(file: file, field: at + ".gpuName", found: model,
                                                      expected: "a GPU model name of 1 to 200 characters on one line (absent: not declared)")
            }
            if let mb = site.gpuMemoryMB, !(1...GPUParameters.maxMemoryMB).contains(mb) {
                throw SiteConfigurationError.badValue(file: file, field: at + ".gpuMemoryMB", found: String(mb),
                                                      expected: "MB from 1 to \(GPUParameters.maxMemoryMB) (absent: not declared)")
            }
            for (field, versions) in [("cudaCapabilities", site.cudaCapabilities ?? []), ("cudaRuntime", site.cudaRuntime.map { [$0] } ?? [])] {
                if let bad = versions.first(where: { $0.utf8.count > 100 || !WholeMatch.test($0, GPUParameters.versionPattern) }) {
                    throw SiteConfigurationError.badValue(file: file, field: at + "." + field, found: bad,
                                                          expected: "versions matching \(GPUParameters.versionPattern), e.g. 8.9")
                }
            }
            let limits = [("slots", site.slots)] + site.taskSlots.sorted { $0.key < $1.key }.map { ("taskSlots." + $0.key, $0.value) }
            for (field, limit) in limits where limit.pendingSlots < 0 || limit.runningSlots < 0 {
                throw SiteConfigurationError.badValue(file: file, field: at + "." + field, found: "\(limit.pendingSlots)/\(limit.runningSlots)",
                                                      expected: "pendingSlots and runningSlots >= 0")
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "field '\(path(context.codingPath + [key]))' is missing; it is required"
        case .typeMismatch(let type, let context): return "field '\(path(context.codingPath))' has the wrong type; expected \(type)"
        case .valueNotFound(let type, let context): return "field '\(path(context.codingPath))' is null; expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The text of the project's `etc/sites.json`.
    public static let defaultJSON = #"""
{
  "schema": 1,
  "sites": [
    {
      "name": "T1_US_FNAL",
      "state": "Normal",
      "stateTime": 0,
      "slots": { "pendingSlots": 50, "runningSlots": 8 },
      "taskSlots": {
        "Processing": { "pendingSlots": 50, "runningSlots": 8 },
        "Production": { "pendingSlots": 50, "runningSlots": 8 },
        "Merge": { "pendingSlots": 25, "runningSlots": 4 },
        "Cleanup": { "pendingSlots": 25, "runningSlots": 4 },
        "LogCollect": { "pendingSlots": 25, "runningSlots": 2 },
        "Harvesting": { "pendingSlots": 25, "runningSlots": 2 }
      },
      "compute": { "plugin": "local", "slots": 4 },
      "storageElement": "T1_US_FNAL_Disk"
    },
    {
      "name": "T2_CH_CERN",
      "state": "Normal",
      "stateTime": 0,
      "slots": { "pendingSlots": 50, "runningSlots": 8 },
      "taskSlots": {
        "Processing": { "pendingSlots": 50, "runningSlots": 8 },
        "Production": { "pendingSlots": 50, "runningSlots": 8 },
        "Merge": { "pendingSlots": 25, "runningSlots": 4 },
        "Cleanup": { "pendingSlots": 25, "runningSlots": 4 },
        "LogCollect": { "pendingSlots": 25, "runningSlots": 2 },
        "Harvesting": { "pendingSlots": 25, "runningSlots": 2 }
      },
      "compute": { "plugin": "local", "slots": 4 },
      "storageElement": "T2_CH_CERN"
    },
    {
      "name": "T0_CH_CERN",
      "state": "Normal",
      "stateTime": 0,
      "slots": { "pendingSlots": 50, "runningSlots": 8 },
      "taskSlots": {
        "Repack": { "pendingSlots": 50, "runningSlots": 8 },
        "Express": { "pendingSlots": 50, "runningSlots": 8 },
        "Processing": { "pendingSlots": 50, "runningSlots": 8 },
        "Merge": { "pendingSlots": 25, "runningSlots": 4 },
        "Cleanup": { "pendingSlots": 25, "runningSlots": 4 },
        "LogCollect": { "pendingSlots": 25, "runningSlots": 2 },
        "Harvesting": { "pendingSlots": 25, "runningSlots": 2 }
      },
      "compute": { "plugin": "local", "slots": 4 },
      "storageElement": "T0_CH_CERN_Disk"
    }
  ]
}
"""#
}

/// Why a site configuration could not be used.
public enum SiteConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file is not valid JSON of the expected shape.
    case unreadable(file: String, detail: String)
    /// A field has a value that is not allowed.
    case badValue(file: String, field: String, found: String, expected: String)
    /// No site of that name is configured.
    case unknownSite(name: String, known: [String])

    public var description: String {
        switch self {
        case let .unreadable(file, detail): return "\(file): \(detail)"
        case let .badValue(file, field, found, expected): return "\(file): field '\(field)' is '\(found)'; expected \(expected)"
        case let .unknownSite(name, known): return "no site named '\(name)'; configured sites: \(known.joined(separator: ", "))"
        }
    }
}
