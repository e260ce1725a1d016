/// A file as the Tier-0 splitters see it: one row of T0's `GetAvailable{Repack,RepackMerge,Express,ExpressMerge}Files`
/// (a streamer for Repack and Express, an unmerged output file for the merges).
///
/// Streamers and express outputs have exactly one lumi; a repack output file can span several (RepackMerge keys it
/// by its first lumi and treats every lumi up to its last as holding data).
public struct Tier0File: Hashable, Sendable {
    /// The logical file name, unique in the system.
    public var lfn: String
    /// The run the file belongs to; all files of one split share it (a Tier-0 fileset holds one run).
    public var run: Int
    /// The file's lumi sections, sorted and distinct, never empty.
    public var lumis: [Int]
    /// Size in bytes.
    public var size: Int
    /// Number of events.
    public var events: Int
    /// When the file entered the subscription's fileset (epoch seconds): the age clock of the splitters.
    public var insertTime: Double

    /// A file with one lumi section (a streamer, or an express output).
    public init(lfn: String, run: Int, lumi: Int, size: Int, events: Int, insertTime: Double) {
        self.init(lfn: lfn, run: run, lumis: [lumi], size: size, events: events, insertTime: insertTime)
    }

    /// A file spanning `lumis` (sorted, distinct; a repack output for RepackMerge).
    public init(lfn: String, run: Int, lumis: [Int], size: Int, events: Int, insertTime: Double) {
        self.lfn = lfn
        self.run = run
        self.lumis = lumis
        self.size = size
        self.events = events
        self.insertTime = insertTime
    }

    /// The largest size accepted (1 PiB): a larger one is refused, so sums of sizes stay far inside `Int`.
    public static let maximumSize = 1 << 50
    /// The largest event count accepted (2^40).
    public static let maximumEvents = 1 << 40
    /// The largest run or lumi number accepted (CMS stores them as 32-bit unsigned numbers).
    public static let maximumRunOrLumi = Int(UInt32.max)
}

/// What a Tier-0 splitter reads besides its parameters: the subscription's available files and the WMBS state the
/// reference's DAOs query.
public struct Tier0SplitInput: Sendable {
    /// The subscription's available files (order within a lumi is kept in the jobs).
    public var files: [Tier0File]
    /// The lumis already used (Repack, RepackMerge): lumis of the subscription's acquired, complete or failed files,
    /// the empty closed lumis (filecount 0, close time set) and, for RepackMerge, the lumis already in its `Merged`
    /// output (straight-to-merge). Express and ExpressMerge ignore it.
    public var usedLumis: Set<Int>
    /// Whether the input fileset is closed (Repack, RepackMerge: leftovers are then emitted).
    public var filesetClosed: Bool
    /// The current time (epoch seconds), against which file ages are measured.
    public var now: Double
    /// Lumis of the parent subscription that still have a split-lumi record (RepackMerge, ExpressMerge: their files
    /// are not merged yet). Repack and Express ignore it.
    public var activeSplitLumis: Set<Int>
    /// AlcaHarvest: the run's stop time (epoch seconds); nil or 0 when not known, and then the newest insert time of
    /// the files stands in for it (T0: the last streamer's insert time when `stop_time` is 0). Others ignore it.
    public var runStopTime: Double?
    /// AlcaHarvest: whether the subscription already made a job group (then only the fileset's close releases
    /// another). Others ignore it.
    public var jobGroupCreated: Bool

    /// An input; every argument but `files` and `now` defaults to empty (nothing used, fileset open, no split lumi,
    /// no stop time, no job group yet).
    public init(files: [Tier0File], usedLumis: Set<Int> = [], filesetClosed: Bool = false, now: Double,
                activeSplitLumis: Set<Int> = [], runStopTime: Double? = nil, jobGroupCreated: Bool = false) {
        self.files = files
        self.usedLumis = usedLumis
        self.filesetClosed = filesetClosed
        self.now = now
        self.activeSplitLumis = activeSplitLumis
        self.runStopTime = runStopTime
        self.jobGroupCreated = jobGroupCreated
    }
}

/// One job a Tier-0 splitter defines. The caller names it `<Algorithm>-<uuid>` as T0 does.
public struct Tier0Job: Hashable, Sendable {
    /// The input files, in the order the algorithm took them.
    public var files: [Tier0File]
    /// The files' total size in bytes.
    public var size: Int
    /// The files' total event count.
    public var events: Int
    /// The reference's wall-time estimate in seconds (from the size it passes, see each algorithm).
    public var estimatedTime: Double
    /// The cores the job asks for (baggage `numberOfCores`; 1 when the reference sets none).
    public var cores: Int
    /// RepackMerge of an over-`maxEdmSize` lumi: the output goes to `MergedError` (primary dataset `<PD>-Error`).
    public var useErrorDataset: Bool

    /// A job over `files` with the given estimates.
    public init(files: [Tier0File], estimatedTime: Double, cores: Int, useErrorDataset: Bool = false) {
        self.files = files
        self.size = SaturatingArithmetic.sum(files.map(\.size))
        self.events = SaturatingArithmetic.sum(files.map(\.events))
        self.estimatedTime = estimatedTime
        self.cores = cores
        self.useErrorDataset = useErrorDataset
    }
}

/// A `lumi_section_split_active` record: a lumi whose streamers went to more than one job. Its merges wait until
/// every one of those jobs completed.
public struct Tier0SplitLumi: Hashable, Sendable {
    /// The run.
    public var run: Int
    /// The lumi section.
    public var lumi: Int
    /// How many of the lumi's files were split (all its available files when it was split).
    public var nfiles: Int

    /// A record for `lumi` of `run` split over `nfiles` files.
    public init(run: Int, lumi: Int, nfiles: Int) {
        self.run = run
        self.lumi = lumi
        self.nfiles = nfiles
    }

    /// The split-lumi end rule (T0's `CheckActiveSplitLumis`): the record is deleted once the count of the
    /// subscription's complete files in (run, lumi) equals `nfiles`. Failed files do not count, so a lumi with a
    /// failed streamer stays split (and its merge waits) as in the reference.
    public func isFinished(completeFileCount: Int) -> Bool {
        completeFileCount == nfiles
    }
}

/// Why a splitter failed files instead of giving them a job.
public enum Tier0FailureReason: Hashable, Sendable, CustomStringConvertible {
    /// Express: the lumi holds more events than `maxInputRate`; all its streamers are failed.
    case lumiOverMaxInputRate(lumi: Int, events: Int, maxInputRate: Int)
    /// Repack: the job would need more than 8 cores (1 + ⌊size/20e9⌋), so it would never run.
    case tooManyCores(cores: Int, size: Int)

    /// The reason in words, with what was found and what is allowed.
    public var description: String {
        switch self {
        case let .lumiOverMaxInputRate(lumi, events, maxInputRate):
            return "lumi \(lumi) has \(events) events, over maxInputRate \(maxInputRate)"
        case let .tooManyCores(cores, size):
            return "a job of \(size) bytes would need \(cores) cores (1 + size/20e9), more than \(Tier0Cores.maximum)"
        }
    }
}

/// A file a splitter failed (the subscription marks it failed; it gets no job).
public struct Tier0FailedFile: Hashable, Sendable {
    /// The failed file.
    public var lfn: String
    /// Why.
    public var reason: Tier0FailureReason

    /// `lfn` failed for `reason`.
    public init(lfn: String, reason: Tier0FailureReason) {
        self.lfn = lfn
        self.reason = reason
    }
}

/// What a Tier-0 splitter decided in one pass.
public struct Tier0SplitOutcome: Hashable, Sendable {
    /// The jobs, in creation order.
    public var jobs: [Tier0Job] = []
    /// The split-lumi records to insert (Repack, Express).
    public var splitLumis: [Tier0SplitLumi] = []
    /// The files to mark failed (Repack: too many cores; Express: lumi over maxInputRate).
    public var failedFiles: [Tier0FailedFile] = []
    /// Condition: the files recorded for upload (moved to acquired, no job; ConditionUpload completes them).
    public var recordedFiles: [String] = []

    /// An empty outcome.
    public init() {}
}

/// The cores rule shared by Repack and RepackMerge: one core per started 20 GB (decimal) of disk use, at most 8.
public enum Tier0Cores {
    /// Jobs asking for more cores would never run.
    public static let maximum = 8
    /// Bytes of disk use per extra core.
    public static let bytesPerCore = 20 * 1000 * 1000 * 1000

    /// 1 + ⌊`bytes`/20e9⌋ (`bytes` ≥ 0).
    public static func forDiskUse(_ bytes: Int) -> Int {
        1 + max(bytes, 0) / bytesPerCore
    }
}

/// Why a Tier-0 splitter refused its input: the input breaks a precondition, and nothing was split.
public enum Tier0SplitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A file field is outside its allowed range.
    case invalidFile(lfn: String, field: String, found: String, allowed: String)
    /// A parameter is outside its allowed range.
    case invalidParameter(name: String, found: String, allowed: String)
    /// RepackMerge: a merge job would need more than 8 cores (the reference raises and creates nothing).
    case mergeNeedsTooManyCores(cores: Int, firstFile: String)

    /// A message naming the file or parameter, what was found and what is allowed.
    public var description: String {
        switch self {
        case let .invalidFile(lfn, field, found, allowed):
            return "Tier-0 input file \(lfn): \(field) is \(found); allowed: \(allowed)"
        case let .invalidParameter(name, found, allowed):
            return "Tier-0 splitting parameter \(name) is \(found); allowed: \(allowed)"
        case let .mergeNeedsTooManyCores(cores, firstFile):
            return "RepackMerge job starting with \(firstFile) would need \(cores) cores, more than \(Tier0Cores.maximum)"
        }
    }
}
