/// A file as the splitting algorithms see it: WMCore's `DataStructs.File` with its runs and lumis.
///
/// The field set mirrors the `input_files` specs of WMCore's reference splitting outputs
/// (`lfn`, `size`, `events`, `first_event`, `last_event`, `locations`, `runs`), plus what the
/// merge and harvest algorithms need (`insertTime`, `parents`, `merged`).
public struct SplitFile: Codable, Hashable, Sendable {
    /// The fields, shared between copies until one of them changes (copy on write): the algorithms
    /// copy files into groups, sorted lists and jobs, and one reference costs less than five.
    ///
    /// Storage is only written after `unique()` made it this value's own, through this value's exclusive
    /// access: the runtime exclusivity checks on every field read (a thread-local access set) can be skipped.
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var lfn: String
        @exclusivity(unchecked) var size: Int
        @exclusivity(unchecked) var events: Int
        @exclusivity(unchecked) var firstEvent: Int
        @exclusivity(unchecked) var lastEvent: Int
        @exclusivity(unchecked) var locations: [String]
        @exclusivity(unchecked) var runs: [FileRun]
        @exclusivity(unchecked) var insertTime: Double
        @exclusivity(unchecked) var parents: [String]
        @exclusivity(unchecked) var merged: Bool

        init(lfn: String, size: Int, events: Int, firstEvent: Int, lastEvent: Int, locations: [String], runs: [FileRun],
             insertTime: Double, parents: [String], merged: Bool) {
            self.lfn = lfn
            self.size = size
            self.events = events
            self.firstEvent = firstEvent
            self.lastEvent = lastEvent
            self.locations = locations
            self.runs = runs
            self.insertTime = insertTime
            self.parents = parents
            self.merged = merged
        }

        func copy() -> Storage {
            Storage(lfn: lfn, size: size, events: events, firstEvent: firstEvent, lastEvent: lastEvent, locations: locations,
                    runs: runs, insertTime: insertTime, parents: parents, merged: merged)
        }
    }

    private var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The same for a file value and its unmodified copies (they share their storage), different once a copy
    /// is changed: lets the splitter find which input a job's file is without hashing LFNs (`inputPositions`).
    var sharedStorageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// The logical file name, unique in the system.
    public var lfn: String {
        get { storage.lfn }
        _modify { let s = unique(); yield &s.lfn }
    }
    /// Size in bytes.
    public var size: Int {
        get { storage.size }
        _modify { let s = unique(); yield &s.size }
    }
    /// Number of events in the file.
    public var events: Int {
        get { storage.events }
        _modify { let s = unique(); yield &s.events }
    }
    /// First event number (EventBased real files start their ranges here; the MC fake file's first event).
    public var firstEvent: Int {
        get { storage.firstEvent }
        _modify { let s = unique(); yield &s.firstEvent }
    }
    /// Last event number (the MC fake file's last event; 0 for ordinary files).
    public var lastEvent: Int {
        get { storage.lastEvent }
        _modify { let s = unique(); yield &s.lastEvent }
    }
    /// Storage locations (PNNs) holding the file.
    public var locations: [String] {
        get { storage.locations }
        _modify { let s = unique(); yield &s.locations }
    }
    /// Runs with their lumi sections, in the order they were added.
    public var runs: [FileRun] {
        get { storage.runs }
        _modify { let s = unique(); yield &s.runs }
    }
    /// When the file entered its fileset (seconds since the epoch); merge algorithms age files with it.
    public var insertTime: Double {
        get { storage.insertTime }
        _modify { let s = unique(); yield &s.insertTime }
    }
    /// LFNs of the file's parents (merge algorithms group by parent).
    public var parents: [String] {
        get { storage.parents }
        _modify { let s = unique(); yield &s.parents }
    }
    /// Whether the file is already merged.
    public var merged: Bool {
        get { storage.merged }
        _modify { let s = unique(); yield &s.merged }
    }

    /// Makes a file; only the LFN is required.
    public init(lfn: String, size: Int = 0, events: Int = 0, firstEvent: Int = 0, lastEvent: Int = 0,
                locations: [String] = [], runs: [FileRun] = [], insertTime: Double = 0,
                parents: [String] = [], merged: Bool = false) {
        storage = Storage(lfn: lfn, size: size, events: events, firstEvent: firstEvent, lastEvent: lastEvent,
                          locations: locations, runs: runs, insertTime: insertTime, parents: parents, merged: merged)
    }

    /// Whether the file lists exactly `locations` (compared in place, without copying the file's list out).
    func hasLocations(_ locations: [String]) -> Bool { storage.locations == locations }

    /// Field-by-field equality (two copies of one file are equal at once).
    public static func == (a: SplitFile, b: SplitFile) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.lfn == y.lfn && x.size == y.size && x.events == y.events && x.firstEvent == y.firstEvent
            && x.lastEvent == y.lastEvent && x.locations == y.locations && x.runs == y.runs && x.insertTime == y.insertTime
            && x.parents == y.parents && x.merged == y.merged
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        let s = storage
        hasher.combine(s.lfn)
        hasher.combine(s.size)
        hasher.combine(s.events)
        hasher.combine(s.firstEvent)
        hasher.combine(s.lastEvent)
        hasher.combine(s.locations)
        hasher.combine(s.runs)
        hasher.combine(s.insertTime)
        hasher.combine(s.parents)
        hasher.combine(s.merged)
    }

    private enum CodingKeys: String, CodingKey {
        case lfn, size, events, firstEvent = "first_event", lastEvent = "last_event", locations, runs
        case insertTime = "insert_time", parents, merged
    }

    /// Decodes the reference form (`runs` as `[[run, [lumis]]]`); keys beyond `lfn` are optional.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(lfn: try c.decode(String.self, forKey: .lfn),
                  size: try c.decodeIfPresent(Int.self, forKey: .size) ?? 0,
                  events: try c.decodeIfPresent(Int.self, forKey: .events) ?? 0,
                  firstEvent: try c.decodeIfPresent(Int.self, forKey: .firstEvent) ?? 0,
                  lastEvent: try c.decodeIfPresent(Int.self, forKey: .lastEvent) ?? 0,
                  locations: try c.decodeIfPresent([String].self, forKey: .locations) ?? [],
                  runs: try c.decodeIfPresent([FileRun].self, forKey: .runs) ?? [],
                  insertTime: try c.decodeIfPresent(Double.self, forKey: .insertTime) ?? 0,
                  parents: try c.decodeIfPresent([String].self, forKey: .parents) ?? [],
                  merged: try c.decodeIfPresent(Bool.self, forKey: .merged) ?? false)
    }

    /// Encodes the reference form.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lfn, forKey: .lfn)
        try c.encode(size, forKey: .size)
        try c.encode(events, forKey: .events)
        try c.encode(firstEvent, forKey: .firstEvent)
        try c.encode(lastEvent, forKey: .lastEvent)
        try c.encode(locations, forKey: .locations)
        try c.encode(runs, forKey: .runs)
        if insertTime != 0 { try c.encode(insertTime, forKey: .insertTime) }
        if !parents.isEmpty { try c.encode(parents, forKey: .parents) }
        if merged { try c.encode(merged, forKey: .merged) }
    }
}

/// One run of a file and the lumi sections of that run the file holds.
///
/// Encoded as WMCore's reference form `[run, [lumi, ...]]`.
public struct FileRun: Codable, Hashable, Sendable {
    /// The run number.
    public var run: Int
    /// Lumi section numbers, in the order they were added.
    public var lumis: [Int]

    /// Makes a run with its lumis.
    public init(run: Int, lumis: [Int]) {
        self.run = run
        self.lumis = lumis
    }

    /// Decodes `[run, [lumis]]`.
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        run = try c.decode(Int.self)
        lumis = try c.decode([Int].self)
    }

    /// Encodes `[run, [lumis]]`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(run)
        try c.encode(lumis)
    }
}
