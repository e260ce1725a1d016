/// How a mask's `firstEvent`/`lastEvent` bounds are read by `process`.
public enum EventRangeSemantics: String, Sendable, Hashable, Codable {
    /// WMCore's behaviour for jobs with real input files (EventBased splitting, where the file's
    /// first event is 0): the bounds are **0-based positions** in the job's input, counted over the
    /// events that pass the run/lumi selection, across the inputs in the order given. `cmsRun` gets
    /// `skipEvents = FirstEvent` and `maxEvents = LastEvent − FirstEvent + 1`; reading stops once the
    /// last position is passed and later inputs are not opened.
    case inputPositions
    /// The bounds are inclusive **event numbers**: every input is read in full and an event is kept
    /// when `firstEvent ≤ event ≤ lastEvent`.
    case eventNumbers
}

/// The part of a job's input it must process: WMCore's job `Mask` in the form `process` uses.
///
/// All bounds are inclusive and `nil` means unbounded. An event passes the run/lumi selection when
/// its run is within `firstRun...lastRun`, its lumi within `firstLumi...lastLumi` (in any run), and,
/// if `runAndLumis` is not empty, its lumi lies in one of the ranges listed for its run.
public struct EventMask: Sendable, Hashable {
    /// First event (position or number, see `eventRangeSemantics`).
    public var firstEvent: Int?
    /// Last event (position or number), inclusive.
    public var lastEvent: Int?
    /// First lumi section.
    public var firstLumi: Int?
    /// Last lumi section.
    public var lastLumi: Int?
    /// First run.
    public var firstRun: Int?
    /// Last run.
    public var lastRun: Int?
    /// Run → inclusive lumi ranges; empty means no run/lumi list.
    public var runAndLumis: [Int: [ClosedRange<Int>]]
    /// How `firstEvent`/`lastEvent` are interpreted.
    public var eventRangeSemantics: EventRangeSemantics

    /// Makes a mask; by default everything passes.
    public init(firstEvent: Int? = nil, lastEvent: Int? = nil, firstLumi: Int? = nil, lastLumi: Int? = nil,
                firstRun: Int? = nil, lastRun: Int? = nil, runAndLumis: [Int: [ClosedRange<Int>]] = [:],
                eventRangeSemantics: EventRangeSemantics = .inputPositions) {
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.firstLumi = firstLumi
        self.lastLumi = lastLumi
        self.firstRun = firstRun
        self.lastRun = lastRun
        self.runAndLumis = runAndLumis
        self.eventRangeSemantics = eventRangeSemantics
    }

    /// Whether (run, lumi) passes the run, lumi and run/lumi-list bounds.
    public func contains(run: UInt32, lumi: UInt32) -> Bool {
        let run = Int(run), lumi = Int(lumi)
        if let first = firstRun, run < first { return false }
        if let last = lastRun, run > last { return false }
        if let first = firstLumi, lumi < first { return false }
        if let last = lastLumi, lumi > last { return false }
        if runAndLumis.isEmpty { return true }
        return runAndLumis[run]?.contains { $0.contains(lumi) } ?? false
    }

    /// Checks the bounds are consistent; names the offending field.
    func validate() throws {
        let pairs: [(String, Int?, Int?)] = [("firstEvent/lastEvent", firstEvent, lastEvent),
                                             ("firstLumi/lastLumi", firstLumi, lastLumi),
                                             ("firstRun/lastRun", firstRun, lastRun)]
        for (field, first, last) in pairs {
            if let first, first < 0 { throw EventFileError.invalidRequest(field: "mask.\(field)", expected: "non-negative bounds, got \(first)") }
            if let first, let last, last < first {
                throw EventFileError.invalidRequest(field: "mask.\(field)", expected: "first ≤ last, got \(first) > \(last)")
            }
        }
    }
}

/// Applies a mask's event bounds to a stream of events that already passed the run/lumi selection.
struct EventRangeCursor {
    private let mask: EventMask
    private var position = 0

    init(mask: EventMask) { self.mask = mask }

    enum Verdict { case keep, skip, stop }

    /// Decides about the next event that passed the run/lumi selection.
    mutating func judge(_ record: EventRecord) -> Verdict {
        switch mask.eventRangeSemantics {
        case .eventNumbers:
            if let first = mask.firstEvent, record.event < UInt64(first) { return .skip }
            if let last = mask.lastEvent, record.event > UInt64(last) { return .skip }
            return .keep
        case .inputPositions:
            let current = position
            position += 1
            if let last = mask.lastEvent, current > last { return .stop }
            if let first = mask.firstEvent, current < first { return .skip }
            return .keep
        }
    }
}
