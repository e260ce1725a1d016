import DynamicJSON
import WMCore

/// The Tier-0's configuration, `<spool>/etc/t0.json` (T0's `Tier0Config` / `ProdOfflineConfiguration`):
/// the acquisition era, the HLT menus by key, each stream's style and parameters, PromptReco's release
/// settings, per-dataset overrides and what the storage managers are. `acquisitionEra` and `menus` are
/// required; every other key keeps T0's default when left out. Decoded from bytes strictly
/// (`init(validating:path:)`): an unknown key, a wrong type, a number out of range, a name of the wrong form or a
/// dataset path that is not in its menu is a `ConfigurationError` naming the file, the key, what was found and
/// what is allowed.
public struct Tier0Configuration: Sendable, Equatable {
    /// The acquisition era of every dataset written (`Run2026A`).
    public var acquisitionEra: String
    /// HLT key → menu.
    public var menus: [String: TriggerMenu]
    /// Stream → its settings; a stream not named here is Bulk with the default parameters.
    public var streams: [String: StreamSettings]
    /// PromptReco release settings.
    public var promptReco: PromptRecoSettings
    /// Primary dataset → its overrides (PromptReco delay, splitting, tiers, scenario, global tag).
    public var datasets: [String: DatasetSettings]
    /// What the storage managers are.
    public var storageManager: StorageManagerSettings

    /// Makes a configuration (streams, datasets and the rest at their defaults unless given).
    public init(acquisitionEra: String, menus: [String: TriggerMenu], streams: [String: StreamSettings] = [:],
                promptReco: PromptRecoSettings = PromptRecoSettings(), datasets: [String: DatasetSettings] = [:],
                storageManager: StorageManagerSettings = StorageManagerSettings()) {
        self.acquisitionEra = acquisitionEra
        self.menus = menus
        self.streams = streams
        self.promptReco = promptReco
        self.datasets = datasets
        self.storageManager = storageManager
    }

    /// The settings of `stream`: Bulk with T0's default parameters when it is not configured (§A.2).
    public func stream(_ stream: String) -> StreamSettings { streams[stream] ?? .bulk(RepackSettings()) }

    /// The settings of primary dataset `dataset` (the defaults when it has no overrides).
    public func dataset(_ dataset: String) -> DatasetSettings { datasets[dataset] ?? DatasetSettings() }

    /// The PromptReco delay and offset of `dataset`: its overrides, else `promptReco`'s.
    public func recoDelay(dataset: String) -> (delay: Int, offset: Int) {
        let settings = self.dataset(dataset)
        return (settings.recoDelay ?? promptReco.delay, settings.recoDelayOffset ?? promptReco.offset)
    }

    /// The shape of `etc/t0.json` (streams are checked one by one against their style's shape).
    static let shape = ConfigurationShape.object([
        "acquisitionEra": .text,
        "menus": .map(TriggerMenu.shape),
        "streams": .map(.any),  // each stream against its style's shape, in `stream(_:)`
        "promptReco": .object(PromptRecoSettings.shape),
        "datasets": .map(.object(DatasetSettings.shape)),
        "storageManager": .object(StorageManagerSettings.shape),
    ])

    /// Decodes the bytes of `etc/t0.json` strictly (see the type's comment); `path` names the file in errors.
    public init(validating bytes: [UInt8], path: String) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(path: path, field: "", expected: "a JSON object", found: "malformed JSON (\(error))")
        }
        try Self.shape.check(value, field: "", path: path)
        let top = ConfigurationObject(value, field: "", path: path)
        for required in ["acquisitionEra", "menus"] where top.members[required] == nil {
            throw ConfigurationError(path: path, field: required, expected: "a value (required)", found: "nothing")
        }
        acquisitionEra = try top.name("acquisitionEra", pattern: Lexicon.acquisitionEra) ?? ""
        var menus: [String: TriggerMenu] = [:]
        let menusObject = top.object("menus")
        for key in (menusObject?.members.keys ?? [:].keys).sorted() {
            try top.check(key, pattern: Tier0Patterns.hltKey, field: top.member("menus") + "." + key)
            menus[key] = try TriggerMenu(menusObject!.object(key)!)
        }
        self.menus = menus
        var streams: [String: StreamSettings] = [:]
        let streamsObject = top.object("streams")
        for key in (streamsObject?.members.keys ?? [:].keys).sorted() {
            try top.check(key, pattern: Tier0Patterns.stream, field: top.member("streams") + "." + key)
            streams[key] = try Self.stream(streamsObject!.object(key)!)
        }
        self.streams = streams
        promptReco = try top.object("promptReco").map(PromptRecoSettings.init) ?? PromptRecoSettings()
        var datasets: [String: DatasetSettings] = [:]
        let datasetsObject = top.object("datasets")
        for key in (datasetsObject?.members.keys ?? [:].keys).sorted() {
            try top.check(key, pattern: DatasetName.primaryPattern, field: top.member("datasets") + "." + key)
            datasets[key] = try DatasetSettings(datasetsObject!.object(key)!)
        }
        self.datasets = datasets
        storageManager = try top.object("storageManager").map(StorageManagerSettings.init) ?? StorageManagerSettings()
    }

    /// Reads one stream's object: its style (Bulk when left out), then its members against that style's shape, so
    /// an Express parameter on a Bulk stream (or any parameter on an ignored one) is refused as unknown.
    static func stream(_ object: ConfigurationObject) throws -> StreamSettings {
        let style = object.members["style"]?.stringValue.flatMap(StreamStyle.init(rawValue:)) ?? .bulk
        let parameters: [String: ConfigurationShape] = switch style {
        case .bulk: RepackSettings.shape
        case .express: ExpressSettings.shape
        case .ignore: [:]
        }
        let shape = ConfigurationShape.object(parameters.merging(["style": .choice(StreamStyle.allCases.map(\.rawValue))]) { a, _ in a })
        try shape.check(.object(object.members), field: object.field, path: object.path)
        switch style {
        case .bulk: return .bulk(try RepackSettings(object))
        case .express: return .express(try ExpressSettings(object))
        case .ignore: return .ignore
        }
    }
}

/// PromptReco's release settings (§A.4): a dataset's reconstruction is locked at run stop + delay − offset and
/// released at stop + delay, lowest run first. T0 documents only production's values (48 h delay, 1800 s offset,
/// RecoSplit 750 × cores); those are the defaults here.
public struct PromptRecoSettings: Sendable, Equatable {
    /// Seconds after the run's stop before a dataset's PromptReco is released (48 h).
    public var delay = 48 * 3600
    /// Seconds before release at which the release is locked (1800; at most `delay`).
    public var offset = 1800
    /// False holds every release (the global switch).
    public var enabled = true
    /// Events per PromptReco job (EventAwareLumiBased `events_per_job`; 750 per core).
    public var recoSplit = 750
    /// Cores per PromptReco job.
    public var recoCores = 1
    /// The PromptReco job time limit in seconds (96 h).
    public var jobTimeLimit = 96 * 3600

    /// The defaults.
    public init() {}

    /// The shape of `promptReco`.
    static let shape: [String: ConfigurationShape] = [
        "delay": .integer(Counts.seconds), "offset": .integer(Counts.seconds), "enabled": .flag,
        "recoSplit": .integer(Counts.events), "recoCores": .integer(1...Int(Lexicon.maxCores)),
        "jobTimeLimit": .integer(Counts.seconds),
    ]

    /// Reads the settings from an object checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        delay = object.int("delay") ?? delay
        offset = object.int("offset") ?? offset
        enabled = object.flag("enabled") ?? enabled
        recoSplit = object.int("recoSplit") ?? recoSplit
        recoCores = object.int("recoCores") ?? recoCores
        jobTimeLimit = object.int("jobTimeLimit") ?? jobTimeLimit
        try object.require(offset <= delay, "offset", found: offset, expected: "at most delay (\(delay)): the lock comes before the release")
    }
}

/// One primary dataset's overrides (T0's `addDataset`): whether and how it is reconstructed.
public struct DatasetSettings: Sendable, Equatable {
    /// False: no PromptReco for this dataset.
    public var doReco = true
    /// Its own PromptReco delay in seconds; nil: `promptReco.delay`.
    public var recoDelay: Int?
    /// Its own PromptReco delay offset in seconds; nil: `promptReco.offset`.
    public var recoDelayOffset: Int?
    /// Its own events per PromptReco job; nil: `promptReco.recoSplit`.
    public var recoSplit: Int?
    /// The processing version of its PromptReco datasets (`/<PD>/<Era>-PromptReco-v<N>/<TIER>`).
    public var processingVersion = 1
    /// The tiers PromptReco writes (AOD, MINIAOD, DQMIO).
    public var writeTiers = ["AOD", "MINIAOD", "DQMIO"]
    /// The reconstruction scenario (`pp`).
    public var scenario = "pp"
    /// The global tag of its reconstruction; nil: none named.
    public var globalTag: String?
    /// The AlcaSkims run on its reconstruction.
    public var alcaSkims: [String] = []

    /// The defaults.
    public init() {}

    /// The tiers PromptReco may write.
    public static let knownTiers = ["RECO", "AOD", "MINIAOD", "NANOAOD", "DQMIO", "ALCARECO", "USER"]

    /// The shape of one `datasets` entry.
    static let shape: [String: ConfigurationShape] = [
        "doReco": .flag, "recoDelay": .integer(Counts.seconds), "recoDelayOffset": .integer(Counts.seconds),
        "recoSplit": .integer(Counts.events), "processingVersion": .integer(Counts.versions),
        "writeTiers": .list(.choice(knownTiers)), "scenario": .text, "globalTag": .text, "alcaSkims": .list(.text),
    ]

    /// Reads the overrides from an object checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        doReco = object.flag("doReco") ?? doReco
        recoDelay = object.int("recoDelay")
        recoDelayOffset = object.int("recoDelayOffset")
        recoSplit = object.int("recoSplit")
        processingVersion = object.int("processingVersion") ?? processingVersion
        writeTiers = object.strings("writeTiers") ?? writeTiers
        scenario = try object.name("scenario", pattern: Tier0Patterns.label) ?? scenario
        globalTag = try object.name("globalTag", pattern: Lexicon.globalTag)
        alcaSkims = try object.names("alcaSkims", pattern: Tier0Patterns.label) ?? alcaSkims
        try object.require(Set(writeTiers).count == writeTiers.count, "writeTiers", found: writeTiers.joined(separator: ","),
                           expected: "distinct tiers")
        if let delay = recoDelay, let offset = recoDelayOffset {
            try object.require(offset <= delay, "recoDelayOffset", found: offset, expected: "at most recoDelay (\(delay))")
        }
    }
}

/// What the storage managers are.
public struct StorageManagerSettings: Sendable, Equatable {
    /// How many instances write each run, when known before their end-of-run reports (which state it and win).
    /// Until it is known no lumi can close: a lumi is closed only once every instance that could hold it
    /// reported it (§A.3), and an instance that has sent nothing yet could hold any lumi.
    public var instances: Int?
    /// Runs with setup label `Emulation` are registered only when this is true (T0's `EmulationRepack`).
    public var emulationRepack = false

    /// The defaults: instances unknown until end-of-run, emulation runs dropped.
    public init() {}

    /// The most storage-manager instances.
    public static let maximumInstances = 1000

    /// The shape of `storageManager`.
    static let shape: [String: ConfigurationShape] = [
        "instances": .integer(1...maximumInstances), "emulationRepack": .flag,
    ]

    /// Reads the settings from an object checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        instances = object.int("instances")
        emulationRepack = object.flag("emulationRepack") ?? emulationRepack
    }
}
