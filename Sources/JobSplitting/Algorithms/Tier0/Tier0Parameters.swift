/// One gibibyte, the unit of T0's size parameters.
let gibibyte = 1024 * 1024 * 1024

/// Repack's parameters (T0 `Tier0Config.addRepackConfig`: the repack ones of a Bulk stream).
public struct RepackParameters: Hashable, Sendable {
    /// A lumi larger than this (bytes) is repacked alone, split first-fit under it.
    public var maxSizeSingleLumi: Int
    /// A multi-lumi job stays at or under this size (bytes).
    public var maxSizeMultiLumi: Int
    /// A job stays at or under this many events; a lumi with more is split.
    public var maxInputEvents: Int
    /// A multi-lumi job stays at or under this many streamers (not applied to split lumis).
    public var maxInputFiles: Int
    /// Seconds after which pending data behind a lumi hole is repacked anyway.
    public var maxLatency: Double

    /// Parameters with the given values.
    public init(maxSizeSingleLumi: Int, maxSizeMultiLumi: Int, maxInputEvents: Int, maxInputFiles: Int, maxLatency: Double) {
        self.maxSizeSingleLumi = maxSizeSingleLumi
        self.maxSizeMultiLumi = maxSizeMultiLumi
        self.maxInputEvents = maxInputEvents
        self.maxInputFiles = maxInputFiles
        self.maxLatency = maxLatency
    }

    /// T0's defaults (`Tier0Config.addRepackConfig`): 10 GiB, 8 GiB, 10M events, 1000 files, 12 h.
    public static let defaults = RepackParameters(maxSizeSingleLumi: 10 * gibibyte, maxSizeMultiLumi: 8 * gibibyte,
                                                  maxInputEvents: 10_000_000, maxInputFiles: 1000, maxLatency: 12 * 3600)
    /// Production (`ProdOfflineConfiguration.py`, stream Default): 24 GiB, 8 GiB, 3M events, 1000 files, 1 h.
    public static let production = RepackParameters(maxSizeSingleLumi: 24 * gibibyte, maxSizeMultiLumi: 8 * gibibyte,
                                                    maxInputEvents: 3_000_000, maxInputFiles: 1000, maxLatency: 3600)

    func validate() throws {
        try Tier0ParameterCheck.count("maxSizeSingleLumi", maxSizeSingleLumi)
        try Tier0ParameterCheck.count("maxSizeMultiLumi", maxSizeMultiLumi)
        try Tier0ParameterCheck.count("maxInputEvents", maxInputEvents)
        try Tier0ParameterCheck.count("maxInputFiles", maxInputFiles)
        try Tier0ParameterCheck.number("maxLatency", maxLatency)
    }
}

/// RepackMerge's parameters (the merge ones of a Bulk stream).
public struct RepackMergeParameters: Hashable, Sendable {
    /// A job bigger than this (bytes) may be emitted when the next lumi does not fit.
    /// T0's default is 2.1 GiB, a fraction; integer sizes compare the same against its floor.
    public var minInputSize: Int
    /// A job stays at or under this size (bytes); a lumi over it is merged alone.
    public var maxInputSize: Int
    /// A job stays at or under this many events.
    public var maxInputEvents: Int
    /// A job stays at or under this many files.
    public var maxInputFiles: Int
    /// A lumi over this size (bytes) is split under it and merged into the `-Error` dataset.
    public var maxEdmSize: Int
    /// A too-small job may grow up to this size (bytes) to take a lumi that does not fit; used as at most `maxEdmSize`.
    public var maxOverSize: Int
    /// Seconds after which pending data behind a lumi hole is merged anyway.
    public var maxLatency: Double

    /// Parameters with the given values.
    public init(minInputSize: Int, maxInputSize: Int, maxInputEvents: Int, maxInputFiles: Int, maxEdmSize: Int,
                maxOverSize: Int, maxLatency: Double) {
        self.minInputSize = minInputSize
        self.maxInputSize = maxInputSize
        self.maxInputEvents = maxInputEvents
        self.maxInputFiles = maxInputFiles
        self.maxEdmSize = maxEdmSize
        self.maxOverSize = maxOverSize
        self.maxLatency = maxLatency
    }

    /// ⌊2.1 GiB⌋ in bytes: T0's `minInputSize` (2.1·1024³ = 2254857830.4); `size > 2254857830.4` ⇔ `size > 2254857830`.
    public static let minInputSizeDefault = 2_254_857_830

    /// T0's defaults: 2.1 GiB, 4 GiB, 10M events, 1000 files, maxEdmSize 10 GiB, maxOverSize 8 GiB, 12 h.
    public static let defaults = RepackMergeParameters(minInputSize: minInputSizeDefault, maxInputSize: 4 * gibibyte,
                                                       maxInputEvents: 10_000_000, maxInputFiles: 1000,
                                                       maxEdmSize: 10 * gibibyte, maxOverSize: 8 * gibibyte,
                                                       maxLatency: 12 * 3600)
    /// Production: as the defaults but maxEdmSize 24 GiB, 3M events, 1 h.
    public static let production = RepackMergeParameters(minInputSize: minInputSizeDefault, maxInputSize: 4 * gibibyte,
                                                         maxInputEvents: 3_000_000, maxInputFiles: 1000,
                                                         maxEdmSize: 24 * gibibyte, maxOverSize: 8 * gibibyte,
                                                         maxLatency: 3600)

    func validate() throws {
        try Tier0ParameterCheck.count("minInputSize", minInputSize)
        try Tier0ParameterCheck.count("maxInputSize", maxInputSize)
        try Tier0ParameterCheck.count("maxInputEvents", maxInputEvents)
        try Tier0ParameterCheck.count("maxInputFiles", maxInputFiles)
        try Tier0ParameterCheck.count("maxEdmSize", maxEdmSize)
        try Tier0ParameterCheck.count("maxOverSize", maxOverSize)
        try Tier0ParameterCheck.number("maxLatency", maxLatency)
    }
}

/// Express's parameters (an Express stream's `maxInputRate`, `maxInputEvents` and performance figures).
public struct ExpressParameters: Hashable, Sendable {
    /// A lumi with more events than this is failed whole.
    public var maxInputRate: Int
    /// A job stays at or under this many events (its first streamer is always taken).
    public var maxInputEvents: Int
    /// Reconstruction seconds per event (the time estimate).
    public var timePerEvent: Double
    /// Output bytes per event (the time estimate: stage-out at 5 MB/s).
    public var sizePerEvent: Double

    /// Parameters with the given values.
    public init(maxInputRate: Int, maxInputEvents: Int, timePerEvent: Double, sizePerEvent: Double) {
        self.maxInputRate = maxInputRate
        self.maxInputEvents = maxInputEvents
        self.timePerEvent = timePerEvent
        self.sizePerEvent = sizePerEvent
    }

    /// T0's defaults (`addExpressConfig`): 23000, 200 events. T0 has no default for the performance figures (it
    /// requires them); production's (4 s, 1700 bytes) are used.
    public static let defaults = ExpressParameters(maxInputRate: 23_000, maxInputEvents: 200, timePerEvent: 4, sizePerEvent: 1700)
    /// Production (stream Express): 23000, 400 events, 4 s and 1700 bytes per event.
    public static let production = ExpressParameters(maxInputRate: 23_000, maxInputEvents: 400, timePerEvent: 4, sizePerEvent: 1700)

    func validate() throws {
        try Tier0ParameterCheck.count("maxInputRate", maxInputRate)
        try Tier0ParameterCheck.count("maxInputEvents", maxInputEvents)
        try Tier0ParameterCheck.number("timePerEvent", timePerEvent)
        try Tier0ParameterCheck.number("sizePerEvent", sizePerEvent)
    }
}

/// ExpressMerge's parameters (an Express stream's merge ones; T0 passes maxInputSize × 100 for DQM/DQMIO outputs).
public struct ExpressMergeParameters: Hashable, Sendable {
    /// A job stays at or under this size (bytes).
    public var maxInputSize: Int
    /// A job stays at or under this many files.
    public var maxInputFiles: Int
    /// A lumi is merged only once it is older than this (seconds); 0 merges lumi by lumi.
    public var maxLatency: Double

    /// Parameters with the given values.
    public init(maxInputSize: Int, maxInputFiles: Int, maxLatency: Double) {
        self.maxInputSize = maxInputSize
        self.maxInputFiles = maxInputFiles
        self.maxLatency = maxLatency
    }

    /// T0's defaults: 2 GiB, 500 files, 345 s (15 × 23).
    public static let defaults = ExpressMergeParameters(maxInputSize: 2 * gibibyte, maxInputFiles: 500, maxLatency: 15 * 23)
    /// Production (stream Express): 2 GiB, 15 files, 345 s.
    public static let production = ExpressMergeParameters(maxInputSize: 2 * gibibyte, maxInputFiles: 15, maxLatency: 15 * 23)

    func validate() throws {
        try Tier0ParameterCheck.count("maxInputSize", maxInputSize)
        try Tier0ParameterCheck.count("maxInputFiles", maxInputFiles)
        try Tier0ParameterCheck.number("maxLatency", maxLatency)
    }
}

/// Range checks of the Tier-0 parameters: counts, sizes, times and rates in 0…2^50 (times and rates finite).
enum Tier0ParameterCheck {
    static let maximum = 1 << 50

    static func count(_ name: String, _ value: Int) throws {
        guard (0...maximum).contains(value) else {
            throw Tier0SplitError.invalidParameter(name: name, found: String(value), allowed: "0...\(maximum)")
        }
    }

    static func number(_ name: String, _ value: Double) throws {
        guard value.isFinite, value >= 0, value <= Double(maximum) else {
            throw Tier0SplitError.invalidParameter(name: name, found: String(value), allowed: "a finite number in 0...\(maximum)")
        }
    }
}
