/// WMCore's job `Mask`: the part of a job's input files it must process.
///
/// Event and lumi bounds are inclusive; `nil` means unset. `runAndLumis` maps a run to inclusive
/// `[first, last]` lumi ranges in insertion order (WMCore does not merge ranges across files).
public struct JobMask: Codable, Hashable, Sendable {
    /// First event to process (inclusive).
    public var firstEvent: Int?
    /// Last event to process (inclusive).
    public var lastEvent: Int?
    /// First lumi section (inclusive).
    public var firstLumi: Int?
    /// Last lumi section (inclusive).
    public var lastLumi: Int?
    /// First run (inclusive).
    public var firstRun: Int?
    /// Last run (inclusive).
    public var lastRun: Int?
    /// Run → inclusive lumi ranges `[[first, last], ...]`, in insertion order.
    public var runAndLumis: [RunLumiRanges]
    /// WMCore's `inclusivemask` flag (true: process what the mask lists).
    public var inclusiveMask: Bool

    /// Makes a mask; everything unset by default.
    public init(firstEvent: Int? = nil, lastEvent: Int? = nil, firstLumi: Int? = nil, lastLumi: Int? = nil,
                firstRun: Int? = nil, lastRun: Int? = nil, runAndLumis: [RunLumiRanges] = [],
                inclusiveMask: Bool = true) {
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.firstLumi = firstLumi
        self.lastLumi = lastLumi
        self.firstRun = firstRun
        self.lastRun = lastRun
        self.runAndLumis = runAndLumis
        self.inclusiveMask = inclusiveMask
    }

    /// Adds an inclusive lumi range for `run`, after the ranges already there.
    public mutating func addRunAndLumis(run: Int, first: Int, last: Int) {
        if let i = runAndLumis.firstIndex(where: { $0.run == run }) {
            runAndLumis[i].ranges.append([first, last])
        } else {
            runAndLumis.append(RunLumiRanges(run: run, ranges: [[first, last]]))
        }
    }

    private enum CodingKeys: String, CodingKey {
        case firstEvent = "FirstEvent", lastEvent = "LastEvent", firstLumi = "FirstLumi", lastLumi = "LastLumi"
        case firstRun = "FirstRun", lastRun = "LastRun", runAndLumis, inclusiveMask = "inclusivemask"
    }

    /// Decodes WMCore's mask JSON (`runAndLumis` as `{"run": [[first, last], ...]}`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        firstEvent = try c.decodeIfPresent(Int.self, forKey: .firstEvent)
        lastEvent = try c.decodeIfPresent(Int.self, forKey: .lastEvent)
        firstLumi = try c.decodeIfPresent(Int.self, forKey: .firstLumi)
        lastLumi = try c.decodeIfPresent(Int.self, forKey: .lastLumi)
        firstRun = try c.decodeIfPresent(Int.self, forKey: .firstRun)
        lastRun = try c.decodeIfPresent(Int.self, forKey: .lastRun)
        inclusiveMask = try c.decodeIfPresent(Bool.self, forKey: .inclusiveMask) ?? true
        let raw = try c.decodeIfPresent([String: [[Int]]].self, forKey: .runAndLumis) ?? [:]
        runAndLumis = try raw.map { key, ranges in
            guard let run = Int(key) else {
                throw DecodingError.dataCorruptedError(forKey: .runAndLumis, in: c,
                                                       debugDescription: "run key '\(key)' is not an integer")
            }
            return RunLumiRanges(run: run, ranges: ranges)
        }.sorted { $0.run < $1.run }
    }

    /// Encodes WMCore's mask JSON; unset bounds are written as `null`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(firstEvent, forKey: .firstEvent)
        try c.encode(lastEvent, forKey: .lastEvent)
        try c.encode(firstLumi, forKey: .firstLumi)
        try c.encode(lastLumi, forKey: .lastLumi)
        try c.encode(firstRun, forKey: .firstRun)
        try c.encode(lastRun, forKey: .lastRun)
        var dict: [String: [[Int]]] = [:]
        for entry in runAndLumis { dict[String(entry.run), default: []].append(contentsOf: entry.ranges) }
        try c.encode(dict, forKey: .runAndLumis)
        try c.encode(inclusiveMask, forKey: .inclusiveMask)
    }
}

/// One run of a mask with its inclusive lumi ranges.
public struct RunLumiRanges: Codable, Hashable, Sendable {
    /// The run number.
    public var run: Int
    /// Inclusive `[first, last]` lumi ranges in insertion order.
    public var ranges: [[Int]]

    /// Makes an entry.
    public init(run: Int, ranges: [[Int]]) {
        self.run = run
        self.ranges = ranges
    }
}
