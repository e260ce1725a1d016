/// One output module (or, for repack, one primary dataset) of an operation and where it is written.
public struct OutputModule: Sendable, Hashable, Codable {
    /// The module label, e.g. `RAWSIMoutput` or `write_MinimumBias_RAW`.
    public var label: String
    /// The file to create (it must not exist).
    public var path: String
    /// Trigger selection: 0 keeps every event ("All"); otherwise an event is kept when it fired at
    /// least one of the selected paths (`triggerBits & triggerMask != 0`).
    public var triggerMask: UInt64

    /// Makes an output module.
    public init(label: String, path: String, triggerMask: UInt64 = 0) {
        self.label = label
        self.path = path
        self.triggerMask = triggerMask
    }
}

/// What an operation wrote into one output file.
public struct OutputFileReport: Sendable, Hashable {
    /// The output module label.
    public var label: String
    /// The file written.
    public var path: String
    /// Events written.
    public var events: UInt64
    /// Run → lumi → events written in that lumi.
    public var runs: [UInt32: [UInt32: UInt64]]
    /// Size, adler32 and cksum of the finished file.
    public var checksums: FileChecksums
}

/// What an operation read from one input file.
public struct InputFileReport: Sendable, Hashable {
    /// The file read.
    public var path: String
    /// Events taken from the file (those that passed the job's mask; all of them for merge/repack).
    public var eventsRead: UInt64
    /// Run → lumis of the events taken, ascending.
    public var runs: [UInt32: [UInt32]]
}

/// The outcome of `generate`, `process`, `merge` or `repack`: inputs in the order they were opened,
/// outputs in the order requested.
public struct OperationResult: Sendable, Hashable {
    /// One entry per input file opened.
    public var inputs: [InputFileReport]
    /// One entry per output module.
    public var outputs: [OutputFileReport]
}

/// Counts events per run and lumi.
struct RunLumiTally {
    private(set) var events: UInt64 = 0
    private(set) var counts: [UInt32: [UInt32: UInt64]] = [:]

    mutating func add(_ record: EventRecord) {
        events += 1
        counts[record.run, default: [:]][record.lumi, default: 0] += 1
    }

    /// Run → sorted lumis.
    var lumisByRun: [UInt32: [UInt32]] { counts.mapValues { $0.keys.sorted() } }
}
