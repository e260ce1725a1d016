import JobSplitting
import WMCore

/// How a stream is processed (T0 `RunConfigAPI`'s stream styles; Register and Convert are not modelled).
public enum StreamStyle: String, Sendable, CaseIterable {
    /// Repacked into primary datasets (Repack → RepackMerge), later PromptReco.
    case bulk = "Bulk"
    /// Express processing into the `Stream<name>` datasets.
    case express = "Express"
    /// Registered but never processed.
    case ignore = "Ignore"
}

/// A stream's processing: its style and that style's §A.6 parameters.
public enum StreamSettings: Sendable, Equatable {
    /// Bulk: repacked with these parameters.
    case bulk(RepackSettings)
    /// Express: processed with these parameters.
    case express(ExpressSettings)
    /// Ignored.
    case ignore

    /// The style.
    public var style: StreamStyle {
        switch self {
        case .bulk: .bulk
        case .express: .express
        case .ignore: .ignore
        }
    }
}

/// Sizes in bytes.
enum Bytes {
    /// Sizes a parameter may take: 1 byte to 1 PiB.
    static let allowed = 1...(1 << 50)
}

/// Ranges of the counts a parameter may take.
enum Counts {
    /// Events per job or lumi (Lexicon's request-event bound, so no event arithmetic can overflow).
    static let events = 1...Int(Lexicon.maxRequestEvents)
    /// Files per job.
    static let files = 1...1_000_000
    /// Durations in seconds (about 30 years).
    static let seconds = 0...1_000_000_000
    /// Processing versions (`v<N>` of a dataset name).
    static let versions = 1...999_999
}

/// A Bulk stream's parameters: the Repack and RepackMerge splitters' (T0 `Tier0Config` defaults, not production's;
/// §A.6 "Defaults vs prod"). `maxInputEvents`, `maxInputFiles` and `maxLatency` in `etc/t0.json` set both.
public struct RepackSettings: Sendable, Equatable {
    /// The processing version of the RAW datasets (`/<PD>/<Era>-v<N>/RAW`).
    public var processingVersion = 1
    /// Repack's parameters (maxSizeSingleLumi 10 GiB, prod 24 GiB; maxSizeMultiLumi 8 GiB; ...).
    public var repack = RepackParameters.defaults
    /// RepackMerge's parameters (minInputSize 2.1 GiB, also the straight-to-merge size; maxEdmSize 10 GiB, prod 24 GiB; ...).
    public var merge = RepackMergeParameters.defaults

    /// The defaults.
    public init() {}

    /// The shape of a Bulk stream's object in `etc/t0.json` (besides `style`).
    static let shape: [String: ConfigurationShape] = [
        "processingVersion": .integer(Counts.versions),
        "maxSizeSingleLumi": .integer(Bytes.allowed), "maxSizeMultiLumi": .integer(Bytes.allowed),
        "minInputSize": .integer(Bytes.allowed), "maxInputSize": .integer(Bytes.allowed),
        "maxEdmSize": .integer(Bytes.allowed), "maxOverSize": .integer(Bytes.allowed),
        "maxInputEvents": .integer(Counts.events), "maxInputFiles": .integer(Counts.files),
        "maxLatency": .integer(Counts.seconds),
    ]

    /// Reads the parameters from an object already checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        processingVersion = object.int("processingVersion") ?? processingVersion
        repack.maxSizeSingleLumi = object.int("maxSizeSingleLumi") ?? repack.maxSizeSingleLumi
        repack.maxSizeMultiLumi = object.int("maxSizeMultiLumi") ?? repack.maxSizeMultiLumi
        merge.minInputSize = object.int("minInputSize") ?? merge.minInputSize
        merge.maxInputSize = object.int("maxInputSize") ?? merge.maxInputSize
        merge.maxEdmSize = object.int("maxEdmSize") ?? merge.maxEdmSize
        merge.maxOverSize = object.int("maxOverSize") ?? merge.maxOverSize
        if let events = object.int("maxInputEvents") { (repack.maxInputEvents, merge.maxInputEvents) = (events, events) }
        if let files = object.int("maxInputFiles") { (repack.maxInputFiles, merge.maxInputFiles) = (files, files) }
        if let latency = object.int("maxLatency") { (repack.maxLatency, merge.maxLatency) = (Double(latency), Double(latency)) }
        try object.require(merge.minInputSize <= merge.maxInputSize, "minInputSize", found: merge.minInputSize,
                           expected: "at most maxInputSize (\(merge.maxInputSize))")
        try object.require(merge.maxOverSize <= merge.maxEdmSize, "maxOverSize", found: merge.maxOverSize,
                           expected: "at most maxEdmSize (\(merge.maxEdmSize)) (§A.6: maxOverSize ≤ maxEdmSize)")
    }
}

/// An Express stream's parameters: the Express and ExpressMerge splitters' (T0 `Tier0Config` defaults, not production's)
/// and how its output is processed.
public struct ExpressSettings: Sendable, Equatable {
    /// The processing version of the `Stream<name>` datasets (`/Stream<name>/<Era>-Express-v<N>/<TIER>`).
    public var processingVersion = 1
    /// Express's parameters (maxInputRate 23000: a lumi with more events has all its streamers failed; maxInputEvents
    /// 200, prod 400).
    public var express = ExpressParameters.defaults
    /// ExpressMerge's parameters (maxInputSize 2 GiB, DQM/DQMIO ×100; maxInputFiles 500, prod 15; maxLatency 345 s).
    public var merge = ExpressMergeParameters.defaults
    /// Seconds between periodic DQM harvests; 0 (the default; prod 20 min) means end-of-run harvesting only.
    public var periodicHarvestInterval = 0
    /// The data tiers Express writes (FEVT, ALCARECO, DQMIO).
    public var writeTiers = ["FEVT", "ALCARECO", "DQMIO"]
    /// The AlcaSkims run on the ALCARECO output (none by default).
    public var alcaSkims: [String] = []
    /// Seconds after the run's stop after which AlcaHarvest harvests an open fileset anyway; 0 (T0's default) means
    /// only when the fileset closes (prod 12 h).
    public var alcaHarvestTimeout = 0
    /// The DQM sequences run on the express output (none by default).
    public var dqmSequences: [String] = []
    /// The global tag of the express processing; nil: none named.
    public var globalTag: String?
    /// The reconstruction scenario (`pp`).
    public var scenario = "pp"

    /// The defaults.
    public init() {}

    /// The special primary dataset of Express stream `stream`: `Stream<stream>` (§A.2; T0 creates it with the stream).
    public static func streamDataset(_ stream: String) -> String { "Stream" + stream }

    /// The tiers Express may write.
    public static let knownTiers = ["FEVT", "ALCARECO", "DQMIO", "RAW", "RECO", "AOD", "MINIAOD"]

    /// The shape of an Express stream's object in `etc/t0.json` (besides `style`).
    static let shape: [String: ConfigurationShape] = [
        "processingVersion": .integer(Counts.versions),
        "maxInputRate": .integer(Counts.events), "maxInputEvents": .integer(Counts.events),
        "maxInputSize": .integer(Bytes.allowed), "maxInputFiles": .integer(Counts.files),
        "maxLatency": .integer(Counts.seconds), "periodicHarvestInterval": .integer(Counts.seconds),
        "alcaHarvestTimeout": .integer(Counts.seconds),
        "writeTiers": .list(.choice(knownTiers)), "alcaSkims": .list(.text), "dqmSequences": .list(.text),
        "globalTag": .text, "scenario": .text,
    ]

    /// Reads the parameters from an object already checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        processingVersion = object.int("processingVersion") ?? processingVersion
        express.maxInputRate = object.int("maxInputRate") ?? express.maxInputRate
        express.maxInputEvents = object.int("maxInputEvents") ?? express.maxInputEvents
        merge.maxInputSize = object.int("maxInputSize") ?? merge.maxInputSize
        merge.maxInputFiles = object.int("maxInputFiles") ?? merge.maxInputFiles
        merge.maxLatency = object.int("maxLatency").map(Double.init) ?? merge.maxLatency
        periodicHarvestInterval = object.int("periodicHarvestInterval") ?? periodicHarvestInterval
        alcaHarvestTimeout = object.int("alcaHarvestTimeout") ?? alcaHarvestTimeout
        writeTiers = object.strings("writeTiers") ?? writeTiers
        alcaSkims = try object.names("alcaSkims", pattern: Tier0Patterns.label) ?? alcaSkims
        dqmSequences = try object.names("dqmSequences", pattern: Tier0Patterns.label) ?? dqmSequences
        globalTag = try object.name("globalTag", pattern: Lexicon.globalTag) ?? globalTag
        scenario = try object.name("scenario", pattern: Tier0Patterns.label) ?? scenario
        try object.require(!writeTiers.isEmpty && Set(writeTiers).count == writeTiers.count, "writeTiers",
                           found: writeTiers.joined(separator: ","), expected: "a non-empty list of distinct tiers")
    }
}
