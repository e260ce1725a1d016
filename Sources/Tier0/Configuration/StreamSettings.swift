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

/// Sizes in bytes (GiB as T0's `Tier0Config` writes them).
enum Bytes {
    /// One GiB.
    static let gibibyte = 1024 * 1024 * 1024
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

/// A Bulk stream's parameters (T0 `Tier0Config` defaults, not production's; §A.6 "Defaults vs prod").
public struct RepackSettings: Sendable, Equatable {
    /// The processing version of the RAW datasets (`/<PD>/<Era>-v<N>/RAW`).
    public var processingVersion = 1
    /// Repack: a lumi larger than this is split (10 GiB; prod 24 GiB).
    public var maxSizeSingleLumi = 10 * Bytes.gibibyte
    /// Repack: a job of several lumis stays at or under this (8 GiB).
    public var maxSizeMultiLumi = 8 * Bytes.gibibyte
    /// RepackMerge: a job is emitted once it is larger than this (2.1 GiB); also the straight-to-merge size.
    public var minInputSize = Int(2.1 * Double(Bytes.gibibyte))
    /// RepackMerge: the largest merge job (4 GiB).
    public var maxInputSize = 4 * Bytes.gibibyte
    /// RepackMerge: a lumi larger than this goes to the `-Error` dataset (10 GiB; prod 24 GiB).
    public var maxEdmSize = 10 * Bytes.gibibyte
    /// RepackMerge: a job may overshoot maxInputSize up to this (8 GiB; at most maxEdmSize).
    public var maxOverSize = 8 * Bytes.gibibyte
    /// Repack and RepackMerge: the most events per job (10M; prod 3M).
    public var maxInputEvents = 10_000_000
    /// Repack and RepackMerge: the most files per job (1000).
    public var maxInputFiles = 1000
    /// Repack and RepackMerge: seconds after which pending files are emitted past holes (12 h; prod 1 h).
    public var maxLatency = 12 * 3600

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
        maxSizeSingleLumi = object.int("maxSizeSingleLumi") ?? maxSizeSingleLumi
        maxSizeMultiLumi = object.int("maxSizeMultiLumi") ?? maxSizeMultiLumi
        minInputSize = object.int("minInputSize") ?? minInputSize
        maxInputSize = object.int("maxInputSize") ?? maxInputSize
        maxEdmSize = object.int("maxEdmSize") ?? maxEdmSize
        maxOverSize = object.int("maxOverSize") ?? maxOverSize
        maxInputEvents = object.int("maxInputEvents") ?? maxInputEvents
        maxInputFiles = object.int("maxInputFiles") ?? maxInputFiles
        maxLatency = object.int("maxLatency") ?? maxLatency
        try object.require(minInputSize <= maxInputSize, "minInputSize", found: minInputSize,
                           expected: "at most maxInputSize (\(maxInputSize))")
        try object.require(maxOverSize <= maxEdmSize, "maxOverSize", found: maxOverSize,
                           expected: "at most maxEdmSize (\(maxEdmSize)) (§A.6: maxOverSize ≤ maxEdmSize)")
    }
}

/// An Express stream's parameters (T0 `Tier0Config` defaults, not production's).
public struct ExpressSettings: Sendable, Equatable {
    /// The processing version of the `Stream<name>` datasets (`/Stream<name>/<Era>-Express-v<N>/<TIER>`).
    public var processingVersion = 1
    /// Express: a lumi with more events than this has all its streamers failed (23000).
    public var maxInputRate = 23_000
    /// Express: the most events per job (200; prod 400).
    public var maxInputEvents = 200
    /// ExpressMerge: the largest merge job (2 GiB; DQM/DQMIO ×100).
    public var maxInputSize = 2 * Bytes.gibibyte
    /// ExpressMerge: the most files per merge job (500; prod 15).
    public var maxInputFiles = 500
    /// ExpressMerge: seconds a lumi waits before it may start a merge job (345).
    public var maxLatency = 345
    /// Seconds between periodic DQM harvests; 0 (the default; prod 20 min) means end-of-run harvesting only.
    public var periodicHarvestInterval = 0
    /// The data tiers Express writes (FEVT, ALCARECO, DQMIO).
    public var writeTiers = ["FEVT", "ALCARECO", "DQMIO"]
    /// The AlcaSkims run on the ALCARECO output (none by default).
    public var alcaSkims: [String] = []
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
        "writeTiers": .list(.choice(knownTiers)), "alcaSkims": .list(.text), "dqmSequences": .list(.text),
        "globalTag": .text, "scenario": .text,
    ]

    /// Reads the parameters from an object already checked against `shape`.
    init(_ object: ConfigurationObject) throws {
        processingVersion = object.int("processingVersion") ?? processingVersion
        maxInputRate = object.int("maxInputRate") ?? maxInputRate
        maxInputEvents = object.int("maxInputEvents") ?? maxInputEvents
        maxInputSize = object.int("maxInputSize") ?? maxInputSize
        maxInputFiles = object.int("maxInputFiles") ?? maxInputFiles
        maxLatency = object.int("maxLatency") ?? maxLatency
        periodicHarvestInterval = object.int("periodicHarvestInterval") ?? periodicHarvestInterval
        writeTiers = object.strings("writeTiers") ?? writeTiers
        alcaSkims = try object.names("alcaSkims", pattern: Tier0Patterns.label) ?? alcaSkims
        dqmSequences = try object.names("dqmSequences", pattern: Tier0Patterns.label) ?? dqmSequences
        globalTag = try object.name("globalTag", pattern: Lexicon.globalTag) ?? globalTag
        scenario = try object.name("scenario", pattern: Tier0Patterns.label) ?? scenario
        try object.require(!writeTiers.isEmpty && Set(writeTiers).count == writeTiers.count, "writeTiers",
                           found: writeTiers.joined(separator: ","), expected: "a non-empty list of distinct tiers")
    }
}
