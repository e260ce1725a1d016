/// One output module of a task configuration.
public struct ConfigOutputModule: Codable, Hashable, Sendable {
    /// Data tier the module writes, e.g. `GEN-SIM`.
    public var dataTier: String
    /// Filter name (part of the processed dataset name when not empty).
    public var filterName: String

    /// Makes an output module.
    public init(dataTier: String, filterName: String = "") {
        self.dataTier = dataTier
        self.filterName = filterName
    }
}

/// What the config cache holds for one ConfigCacheID: `{"outputModules": {"LABEL": {"dataTier": "TIER",
/// "filterName": ""}}}`; other keys are allowed and ignored.
public struct TaskConfiguration: Hashable, Sendable {
    /// Output modules by label.
    public var outputModules: [String: ConfigOutputModule]

    /// Makes a configuration.
    public init(outputModules: [String: ConfigOutputModule]) { self.outputModules = outputModules }

    /// Reads the JSON form; nil when `outputModules` is missing or malformed.
    public init?(json: JSONValue) {
        guard let modules = json.objectValue?["outputModules"]?.objectValue else { return nil }
        var out: [String: ConfigOutputModule] = [:]
        for (label, value) in modules {
            guard let tier = value.objectValue?["dataTier"]?.stringValue else { return nil }
            out[label] = ConfigOutputModule(dataTier: tier, filterName: value.objectValue?["filterName"]?.stringValue ?? "")
        }
        outputModules = out
    }
}

/// The config-cache lookup validation needs: ConfigCacheID → task configuration.
public protocol ConfigCacheLookup: Sendable {
    /// The configuration stored under `id`, or nil if there is none.
    func configuration(id: String) -> TaskConfiguration?
    /// Why the entry stored under `id` can't be read (e.g. "configcache/<id>.json is a FIFO ..."), or nil.
    func unreadableReason(id: String) -> String?
}

extension ConfigCacheLookup {
    /// Nil: a lookup without storage of its own has nothing unreadable.
    public func unreadableReason(id: String) -> String? { nil }

    /// The problem of a request field naming the config-cache id `id`, or nil when the cache holds it.
    func lookupProblem(field: String, id: String) -> RequestProblem? {
        guard configuration(id: id) == nil else { return nil }
        if let why = unreadableReason(id: id) {
            return RequestProblem(field: field, value: id, expected: "an id the config cache holds as a readable entry (\(why))")
        }
        return RequestProblem(field: field, value: id, expected: "an id the config cache holds")
    }
}

/// A config cache held in memory.
public struct InMemoryConfigCache: ConfigCacheLookup {
    /// Configurations by id.
    public var configurations: [String: TaskConfiguration]

    /// Makes a cache.
    public init(_ configurations: [String: TaskConfiguration] = [:]) { self.configurations = configurations }

    /// The configuration stored under `id`.
    public func configuration(id: String) -> TaskConfiguration? { configurations[id] }
}
