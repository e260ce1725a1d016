/// The ReqMgr2 request types.
public enum RequestType: String, Codable, CaseIterable, Sendable {
    case taskChain = "TaskChain"
    case stepChain = "StepChain"
    case reReco = "ReReco"
    case dqmHarvest = "DQMHarvest"
    case resubmission = "Resubmission"
    case storeResults = "StoreResults"
    /// Tier-0 repacking of one run's stream (WMCore's `Repack` spec): made by the Tier-0 feeder, never submitted.
    case repack = "Repack"
    /// Tier-0 express processing of one run's stream (WMCore's `Express` spec): made by the feeder, never submitted.
    case express = "Express"
    /// Tier-0 prompt reconstruction of one run's primary dataset (WMCore's `PromptReco` spec): released by the
    /// feeder, never submitted.
    case promptReco = "PromptReco"

    /// The types a request to ReqMgr may have: every type but the Tier-0's, whose workflows the feeder makes.
    public static let submittable: [RequestType] = allCases.filter { !$0.isTier0 }

    /// True for the Tier-0's workflow types (Repack, Express, PromptReco).
    public var isTier0: Bool { self == .repack || self == .express || self == .promptReco }

    /// For chains: the key holding the count (`TaskChain`/`StepChain`) and the item prefix (`Task`/`Step`).
    public var chain: (countKey: String, prefix: String, nameKey: String, inputKey: String)? {
        switch self {
        case .taskChain: return ("TaskChain", "Task", "TaskName", "InputTask")
        case .stepChain: return ("StepChain", "Step", "StepName", "InputStep")
        default: return nil
        }
    }
}

/// Patterns and value sets of WMCore's Lexicon, as used by the argument specs.
public enum Lexicon {
    /// Acquisition era (`acqname`).
    public static let acquisitionEra = #"[a-zA-Z][a-zA-Z0-9_]*"#
    /// Processing string (`procstring`).
    public static let processingString = #"[a-zA-Z0-9_]{1,100}"#
    /// Request string: the part of the request name the user chooses.
    public static let requestString = #"[a-zA-Z0-9.\-_]{1,100}"#
    /// A full request name.
    public static let requestName = #"[a-zA-Z0-9.\-_]{1,150}"#
    /// CMSSW release.
    public static let cmsswVersion = #"CMSSW(_\d+){3}(_[a-zA-Z0-9_]+)?"#
    /// SCRAM architecture.
    public static let scramArch = #"[a-z0-9]+_[a-z0-9]+_[a-z0-9]+"#
    /// Global tag.
    public static let globalTag = #"[a-zA-Z0-9\s.\-_:]{1,100}"#
    /// Campaign.
    public static let campaign = #"[a-zA-Z0-9_\-]{0,80}"#
    /// PrepID.
    public static let prepID = #"[a-zA-Z0-9_\-]{0,100}"#
    /// Task and step names.
    public static let taskName = #"[a-zA-Z0-9_\-]{1,50}"#
    /// The largest first event or first lumi number: CMSSW numbers events and lumis with unsigned 32 bits.
    public static let maxEventNumber: Double = 4_294_967_295
    /// The most events a request, job or lumi may ask for (10^12: far beyond any CMS request, and small enough
    /// that no event arithmetic on it can overflow).
    public static let maxRequestEvents: Double = 1e12
    /// The most of a per-job count (`LumisPerJob`, `FilesPerJob`) and the largest run number in a run list.
    public static let maxCount: Double = 4_294_967_295
    /// The largest memory a job may ask for, in MB (10 TB), and the most cores or event streams.
    public static let maxMemoryMB: Double = 10_000_000
    /// The most cores (`Multicore`) or event streams a job may ask for.
    public static let maxCores: Double = 1024
    /// The longest time per event, in seconds (a day), and the largest size per event, in bytes (1 GB): so
    /// estimates (time or size per event × events per job) stay far inside every integer conversion.
    public static let maxTimePerEvent: Double = 86_400
    /// The largest size per event, in bytes.
    public static let maxSizePerEvent: Double = 1e9
    /// The largest merge and block limits (files, events, bytes, seconds): 10^15.
    public static let maxLimit: Double = 1e15
    /// Run and lumi numbers (CMSSW's unsigned 32 bits; 0 is none), as they enter from a catalog import or an ACDC record.
    public static let runAndLumiNumbers: ClosedRange<Int> = 1...4_294_967_295
    /// Event counts of a file or a lumi.
    public static let eventCounts: ClosedRange<Int> = 0...1_000_000_000_000
    /// File sizes in bytes.
    public static let fileSizes: ClosedRange<Int> = 0...1_000_000_000_000_000
    /// User names (Requestor).
    public static let user = #"[a-zA-Z0-9_.\-]{1,60}"#
    /// Team names.
    public static let team = #"[a-zA-Z0-9_.\-]{1,60}"#
    /// Config-cache document ids.
    public static let configCacheID = #"[a-zA-Z0-9]{1,64}"#
    /// Service URLs.
    public static let url = #"https?://\S+"#
    /// Output module labels.
    public static let outputModule = #"[a-zA-Z][a-zA-Z0-9_]*"#
    /// Task paths `/<wf>/<task>/...`.
    public static let taskPath = #"(/[a-zA-Z0-9_.\-]+)+"#
    /// Splitting algorithms a request may name.
    public static let splittingAlgorithms = ["EventBased", "LumiBased", "EventAwareLumiBased", "EventAwareLumiByWork",
                                             "FileBased", "RunBased", "Harvest", "ParentlessMergeBySize", "MinFileBased"]
    /// Dashboard activities.
    public static let dashboards = ["production", "reprocessing", "relval", "tier0", "t0", "integration", "test", "RelVal"]
}

/// The argument specs of every request type, at create and at assign (WMCore `StdBase`, the StdSpecs and
/// `ReqMgr` `assign` arguments). Every argument the DMWM/Integration templates use is here.
public enum RequestSpecs {
    /// Arguments every request type accepts at creation.
    public static let generic: [ArgumentSpec] = [
        ArgumentSpec("RequestType", .string, mandatory: true, .oneOf(RequestType.submittable.map(\.rawValue))),
        ArgumentSpec("Requestor", .string, default: .string("operator"), .pattern(Lexicon.user, "a user name")),
        ArgumentSpec("RequestorDN", .string),
        ArgumentSpec("Group", .string, default: .string("DATAOPS"), .pattern(Lexicon.team, "a group name")),
        ArgumentSpec("RequestString", .string, mandatory: true, .pattern(Lexicon.requestString, "a request string")),
        ArgumentSpec("RequestName", .string, .pattern(Lexicon.requestName, "a request name")),
        ArgumentSpec("RequestStatus", .string, .oneOf(["new"])),
        ArgumentSpec("Campaign", .string, default: .string(""), .pattern(Lexicon.campaign, "a campaign")),
        ArgumentSpec("CMSSWVersion", .string, mandatory: true, .pattern(Lexicon.cmsswVersion, "a CMSSW release")),
        ArgumentSpec("ScramArch", .stringList, mandatory: true, .nonEmpty, .pattern(Lexicon.scramArch, "a SCRAM arch")),
        ArgumentSpec("GlobalTag", .string, .pattern(Lexicon.globalTag, "a global tag")),
        ArgumentSpec("AcquisitionEra", .string, .pattern(Lexicon.acquisitionEra, "an acquisition era")),
        ArgumentSpec("ProcessingString", .string, .pattern(Lexicon.processingString, "a processing string")),
        ArgumentSpec("ProcessingVersion", .integer, default: .int(1), .range(min: 0, maxInclusive: Lexicon.maxCount)),
        ArgumentSpec("PrepID", .string, .pattern(Lexicon.prepID, "a PrepID")),
        ArgumentSpec("RequestPriority", .integer, default: .int(8000), .range(min: 0, maxExclusive: 1_000_000)),
        ArgumentSpec("Memory", .number, default: .int(2300), .range(min: 1, maxInclusive: Lexicon.maxMemoryMB)),
        ArgumentSpec("Multicore", .integer, default: .int(1), .range(min: 1, maxInclusive: Lexicon.maxCores)),
        ArgumentSpec("EventStreams", .integer, default: .int(0), .range(min: 0, maxInclusive: Lexicon.maxCores)),
        ArgumentSpec("TimePerEvent", .number, default: .int(12), .range(min: 1e-9, maxInclusive: Lexicon.maxTimePerEvent)),
        ArgumentSpec("SizePerEvent", .number, default: .int(512), .range(min: 1e-9, maxInclusive: Lexicon.maxSizePerEvent)),
        ArgumentSpec("FirstEvent", .integer, default: .int(1), .range(min: 1, maxInclusive: Lexicon.maxEventNumber)),
        ArgumentSpec("FirstLumi", .integer, default: .int(1), .range(min: 1, maxInclusive: Lexicon.maxEventNumber)),
        ArgumentSpec("SiteWhitelist", .stringList, default: .array([]), .siteNames),
        ArgumentSpec("SiteBlacklist", .stringList, default: .array([]), .siteNames),
        ArgumentSpec("TrustSitelists", .boolean, default: .bool(false)),
        ArgumentSpec("TrustPUSitelists", .boolean, default: .bool(false)),
        ArgumentSpec("Comments", .any, default: .string("")),
        ArgumentSpec("DbsUrl", .string, default: .string("https://cmsweb.cern.ch/dbs/prod/global/DBSReader"),
                     .pattern(Lexicon.url, "a URL")),
        ArgumentSpec("ConfigCacheUrl", .string, default: .string("https://cmsweb.cern.ch/couchdb"), .pattern(Lexicon.url, "a URL"))
            .refused(unless: .string("https://cmsweb.cern.ch/couchdb"), Unsupported.configCache),
        ArgumentSpec("CouchDBName", .string, default: .string("reqmgr_config_cache"), .nonEmpty)
            .refused(unless: .string("reqmgr_config_cache"), Unsupported.configCache),
        ArgumentSpec("DQMUploadUrl", .string, default: .string("https://cmsweb.cern.ch/dqm/dev"), .pattern(Lexicon.url, "a URL"), .dqmUploadURL),
        ArgumentSpec("DQMConfigCacheID", .string, .pattern(Lexicon.configCacheID, "a config-cache id")),
        ArgumentSpec("DQMHarvestUnit", .string, default: .string("byRun"), .oneOf(["byRun", "multiRun"])),
        ArgumentSpec("DQMSequences", .stringList, default: .array([]))
            .refused(unless: .array([]), "the harvest task here runs no DQM sequences (it does not run a DQM configuration)"),
        ArgumentSpec("EnableHarvesting", .boolean, default: .bool(false)),
        ArgumentSpec("IncludeParents", .boolean, default: .bool(false)),
        ArgumentSpec("SubRequestType", .string, default: .string("")),
        ArgumentSpec("OpenRunningTimeout", .integer, default: .int(0), .range(min: 0, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("Scenario", .string),
        ArgumentSpec("MergedLFNBase", .string, .lfnBase),
        ArgumentSpec("UnmergedLFNBase", .string, default: .string("/store/unmerged"), .lfnBase),
        ArgumentSpec("RequiresGPU", .string, default: .string("forbidden"), .oneOf(["forbidden", "optional", "required"])),
        ArgumentSpec("GPUParams", .string, default: .string("null"), .gpuParameters),
        ArgumentSpec("JobExtraMatchRequirements", .string, default: .string(""), .maxLength(9_999), .matchRequirement),
        ArgumentSpec("MCPileup", .string, .dataset),
        ArgumentSpec("DataPileup", .string, .dataset),
        ArgumentSpec("DeterministicPileup", .boolean, default: .bool(false))
            .refused(unless: .bool(false), "pileup files are not given to jobs in a fixed, reproducible order here"),
        ArgumentSpec("ValidationSample", .object),
        ArgumentSpec("FailureRateThreshold", .number, .range(min: 0, maxInclusive: 1)),
        ArgumentSpec("PeriodicHarvestInterval", .integer, default: .int(0), .range(min: 0, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("DQMUploadProxy", .string)
            .refused(unless: .string(""), "no grid proxy is used here: harvest jobs upload to the spool's stand-in for the DQM GUI"),
        ArgumentSpec("RobustMerge", .boolean, default: .bool(true)),
        ArgumentSpec("ValidStatus", .string, default: .string("PRODUCTION"), .oneOf(["PRODUCTION", "VALID"])),
        ArgumentSpec("RunNumber", .integer, default: .int(0), .range(min: 0, maxInclusive: Lexicon.maxEventNumber))
            .refused(unless: .int(0), "WMCore passes a run number only to DQM harvesting scenarios built without a DQMConfigCacheID, "
                     + "and harvesting here always runs the DQMConfigCacheID's configuration"),
        ArgumentSpec("MinMergeSize", .integer, default: .int(2_147_483_648), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("MaxMergeSize", .integer, default: .int(4_294_967_296), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("MaxMergeEvents", .integer, default: .int(100_000_000), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("AllowOpportunistic", .boolean, default: .bool(false)).refused(unless: .bool(false), Unsupported.opportunistic),
    ]

    /// Input selection arguments (top level of ReReco/DQMHarvest/StoreResults, and chain items).
    public static let inputSelection: [ArgumentSpec] = [
        ArgumentSpec("InputDataset", .string, .dataset),
        ArgumentSpec("RunWhitelist", .integerList, default: .array([]), .range(min: 1, maxInclusive: Lexicon.maxEventNumber)),
        ArgumentSpec("RunBlacklist", .integerList, default: .array([]), .range(min: 1, maxInclusive: Lexicon.maxEventNumber)),
        ArgumentSpec("BlockWhitelist", .stringList, default: .array([])),
        ArgumentSpec("BlockBlacklist", .stringList, default: .array([])),
        ArgumentSpec("LumiList", .lumiList),
    ]

    /// Job-splitting arguments.
    public static let splitting: [ArgumentSpec] = [
        ArgumentSpec("SplittingAlgo", .string, .oneOf(Lexicon.splittingAlgorithms)),
        ArgumentSpec("EventsPerJob", .integer, .range(min: 1, maxInclusive: Lexicon.maxRequestEvents)),
        ArgumentSpec("EventsPerLumi", .integer, .range(min: 1, maxInclusive: Lexicon.maxRequestEvents)),
        ArgumentSpec("LumisPerJob", .integer, .range(min: 1, maxInclusive: Lexicon.maxCount)),
        ArgumentSpec("FilesPerJob", .integer, .range(min: 1, maxInclusive: Lexicon.maxCount)),
    ]

    /// Arguments of one `TaskN`/`StepN` dict; the ones shared with the top level inherit its value.
    public static func chainItem(_ type: RequestType) -> [ArgumentSpec] {
        guard let chain = type.chain else { return [] }
        let shared = ["AcquisitionEra", "ProcessingString", "ProcessingVersion", "CMSSWVersion", "ScramArch", "GlobalTag",
                      "Campaign", "PrepID", "Memory", "Multicore", "EventStreams", "TimePerEvent", "SizePerEvent",
                      "FirstEvent", "FirstLumi", "MCPileup", "DataPileup", "DeterministicPileup", "IncludeParents",
                      "RequiresGPU", "GPUParams"]
        let inherited = generic.filter { shared.contains($0.name) }.map(\.inherited)
        return inherited + inputSelection.map(\.inherited) + splitting + [
            ArgumentSpec(chain.nameKey, .string, mandatory: true, .pattern(Lexicon.taskName, "a task name")),
            ArgumentSpec("ConfigCacheID", .string, mandatory: true, .pattern(Lexicon.configCacheID, "a config-cache id")),
            ArgumentSpec(chain.inputKey, .string, .pattern(Lexicon.taskName, "a task name")),
            ArgumentSpec("InputFromOutputModule", .string, .pattern(Lexicon.outputModule, "an output module label")),
            ArgumentSpec("PrimaryDataset", .string, .pattern(DatasetName.primaryPattern, "a primary dataset")),
            ArgumentSpec("RequestNumEvents", .integer, .range(min: 1, maxInclusive: Lexicon.maxRequestEvents)),
            ArgumentSpec("KeepOutput", .boolean, default: .bool(true)),
            ArgumentSpec("TransientOutputModules", .stringList, default: .array([])),
            ArgumentSpec("FilterEfficiency", .number, default: .int(1), .range(min: 1e-9, maxInclusive: 1)),
            ArgumentSpec("LheInputFiles", .boolean, default: .bool(false)),
            ArgumentSpec("Seeding", .string, default: .string("AutomaticSeeding"), .oneOf(["AutomaticSeeding", "ReproducibleSeeding"]))
                .refused(unless: .string("AutomaticSeeding"), "jobs here get no reproducible random seeds (ReproducibleSeeding is not implemented)"),
        ] + (type == .taskChain ? [ArgumentSpec("JobExtraMatchRequirements", .string, .maxLength(9_999), .matchRequirement)] : [])
    }

    /// Every argument a request type accepts at creation (excluding the chain items), with type-specific
    /// mandatory arguments and defaults overriding the generic ones.
    public static func create(_ type: RequestType) -> [ArgumentSpec] {
        let specific: [ArgumentSpec]
        switch type {
        case .taskChain, .stepChain:
            specific = inputSelection + splitting + [
                ArgumentSpec(type.chain!.countKey, .integer, mandatory: true, .range(min: 1, maxInclusive: 1000)), globalTagRequired]
        case .reReco:
            specific = inputSelection + splitting + [
                        ArgumentSpec("InputDataset", .string, mandatory: true, .dataset),
                        ArgumentSpec("ConfigCacheID", .string, mandatory: true, .pattern(Lexicon.configCacheID, "a config-cache id")),
                        globalTagRequired,
                        ArgumentSpec("SplittingAlgo", .string, default: .string("EventAwareLumiBased"), .oneOf(Lexicon.splittingAlgorithms)),
                        ArgumentSpec("LumisPerJob", .integer, default: .int(8), .range(min: 1, maxInclusive: Lexicon.maxCount)),
                        ArgumentSpec("TransientOutputModules", .stringList, default: .array([]))]
        case .dqmHarvest:
            specific = inputSelection + [
                        ArgumentSpec("InputDataset", .string, mandatory: true, .dataset),
                        ArgumentSpec("DQMConfigCacheID", .string, mandatory: true, .pattern(Lexicon.configCacheID, "a config-cache id")),
                        ArgumentSpec("DQMUploadUrl", .string, mandatory: true, .pattern(Lexicon.url, "a URL")),
                        globalTagRequired]
        case .resubmission:
            specific = [ArgumentSpec("OriginalRequestName", .string, mandatory: true, .pattern(Lexicon.requestName, "a request name")),
                        ArgumentSpec("InitialTaskPath", .string, mandatory: true, .pattern(Lexicon.taskPath, "a task path /<wf>/<task>")),
                        ArgumentSpec("ACDCServer", .string, default: .string("https://cmsweb.cern.ch/couchdb"), .pattern(Lexicon.url, "a URL"))
                            .refused(unless: .string("https://cmsweb.cern.ch/couchdb"), Unsupported.acdc),
                        ArgumentSpec("ACDCDatabase", .string, default: .string("acdcserver"), .nonEmpty)
                            .refused(unless: .string("acdcserver"), Unsupported.acdc),
                        ArgumentSpec("IgnoredOutputModules", .stringList, default: .array([]))
                            .refused(unless: .array([]), "a resubmission here stages out every output module of the task it redoes"),
                        ArgumentSpec("CMSSWVersion", .string, .pattern(Lexicon.cmsswVersion, "a CMSSW release")),
                        ArgumentSpec("ScramArch", .stringList, .pattern(Lexicon.scramArch, "a SCRAM arch"))]
        case .storeResults:
            specific = inputSelection + [
                        ArgumentSpec("InputDataset", .string, mandatory: true, .dataset),
                        ArgumentSpec("DataTier", .string, default: .string("USER"), .pattern(DatasetName.tierPattern, "a data tier")),
                        ArgumentSpec("PhysicsGroup", .string, default: .string("NoGroup"), .nonEmpty),
                        ArgumentSpec("CmsPath", .string),
                        ArgumentSpec("MergedLFNBase", .string, default: .string("/store/results"), .lfnBase)]
        case .repack, .express, .promptReco:
            specific = []   // never submitted: validation refuses the type before reading its arguments
        }
        return merge(generic, specific)
    }

    private static let globalTagRequired = ArgumentSpec("GlobalTag", .string, mandatory: true,
                                                        .pattern(Lexicon.globalTag, "a global tag"))

    /// Arguments accepted at assignment (ReqMgr2 `assign`); era, processing string and version may be per task.
    public static let assign: [ArgumentSpec] = [
        ArgumentSpec("RequestStatus", .string, .oneOf(["assigned"])),
        ArgumentSpec("Team", .string, mandatory: true, .nonEmpty, .pattern(Lexicon.team, "a team name")),
        ArgumentSpec("SiteWhitelist", .stringList, mandatory: true, .nonEmpty, .siteNames),
        ArgumentSpec("SiteBlacklist", .stringList, default: .array([]), .siteNames),
        ArgumentSpec("AcquisitionEra", .perTask(.string), .pattern(Lexicon.acquisitionEra, "an acquisition era")),
        ArgumentSpec("ProcessingString", .perTask(.string), .pattern(Lexicon.processingString, "a processing string")),
        ArgumentSpec("ProcessingVersion", .perTask(.integer), .range(min: 0, maxInclusive: Lexicon.maxCount)),
        ArgumentSpec("MergedLFNBase", .string, .lfnBase),
        ArgumentSpec("UnmergedLFNBase", .string, default: .string("/store/unmerged"), .lfnBase),
        ArgumentSpec("Dashboard", .string, default: .string("production"), .oneOf(Lexicon.dashboards)),
        ArgumentSpec("GracePeriod", .integer, default: .int(300), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("SoftTimeout", .integer, default: .int(129600), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("Override", .object, default: .object([:])),
        ArgumentSpec("TrustSitelists", .boolean, default: .bool(false)),
        ArgumentSpec("TrustPUSitelists", .boolean, default: .bool(false)),
        ArgumentSpec("AllowOpportunistic", .boolean, default: .bool(false)).refused(unless: .bool(false), Unsupported.opportunistic),
        ArgumentSpec("CustodialSites", .stringList, default: .array([]), .siteNames)
            .refused(unless: .array([]), "no custodial (tape) copies are made: the Rucio injector here makes no custodial rules"),
        ArgumentSpec("NonCustodialSites", .stringList, default: .array([]), .siteNames)
            .refused(unless: .array([]), "no copies are made at other sites: the Rucio injector here makes no rules for them"),
        ArgumentSpec("SubscriptionPriority", .string, default: .string("Low"), .oneOf(["Low", "Normal", "High"]))
            .refused(unless: .string("Low"), "no data-placement subscriptions are made here, so there is no priority to give them"),
        ArgumentSpec("RequestPriority", .integer, .range(min: 0, maxExclusive: 1_000_000)),
        ArgumentSpec("MinMergeSize", .integer, default: .int(2_147_483_648), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("MaxMergeSize", .integer, default: .int(4_294_967_296), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("MaxMergeEvents", .integer, default: .int(100_000_000), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("BlockCloseMaxWaitTime", .integer, default: .int(66400), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("BlockCloseMaxFiles", .integer, default: .int(500), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("BlockCloseMaxEvents", .integer, default: .int(25_000_000), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("BlockCloseMaxSize", .integer, default: .int(5_000_000_000_000), .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("FailureRateThreshold", .number, .range(min: 0, maxInclusive: 1)),
        ArgumentSpec("Memory", .perTask(.number), .range(min: 1, maxInclusive: Lexicon.maxMemoryMB)),
        ArgumentSpec("Multicore", .perTask(.integer), .range(min: 1, maxInclusive: Lexicon.maxCores)),
        ArgumentSpec("EventStreams", .perTask(.integer), .range(min: 0, maxInclusive: Lexicon.maxCores)),
        ArgumentSpec("MaxRSS", .integer, .range(min: 1, maxInclusive: Lexicon.maxLimit)),
        ArgumentSpec("MaxVSize", .integer, .range(min: 1, maxInclusive: Lexicon.maxLimit)),
    ]

    /// Arguments WMCore itself only stores or shows (status `recorded` in docs/request-arguments.md): kept with the
    /// request (or its assignment) and listed by `wmctl request show`.
    public static let recordedOnly = ["Campaign", "CmsPath", "Comments", "Dashboard", "DbsUrl", "Override", "PhysicsGroup",
                                      "RequestorDN", "Scenario", "ScramArch", "SubRequestType"]

    /// Reasons shared by several arguments whose behaviour this system does not implement.
    enum Unsupported {
        static let configCache = "configurations come from this spool's config cache (wmctl config add), not from a CouchDB"
        static let acdc = "ACDC records are read from this spool's acdc/ area, not from a CouchDB"
        static let opportunistic = "opportunistic resources are not supported: the batch plugins here (local, Slurm) "
            + "run jobs only at the request's whitelisted sites"
    }

    /// `base` with the arguments of `overriding` replacing those of the same name.
    static func merge(_ base: [ArgumentSpec], _ overriding: [ArgumentSpec]) -> [ArgumentSpec] {
        var seen = Set<String>()
        var out: [ArgumentSpec] = []
        for spec in overriding.reversed() + base.reversed() where seen.insert(spec.name).inserted {
            out.append(spec)
        }
        return out.reversed()
    }
}
