/// The runs and luminosity sections a file covers, with the optional event count of each lumi.
///
/// This mirrors WMCore's `{run: {lumi: nevents|None}}` (the `Runs/Run ID/LumiSection ID NEvents`
/// block of the XML). A run may be present with no lumis at all (as in CMSSWFailReport2.xml).
public struct RunLumiMap: Equatable, Sendable {
    /// Events per lumi, keyed by run then lumi; `nil` means the report gave no (integer) count.
    public private(set) var eventsByRun: [Int: [Int: Int?]]

    /// An empty map (no runs).
    public init() { eventsByRun = [:] }

    /// A map built from `run → [lumi: events]`.
    public init(_ eventsByRun: [Int: [Int: Int?]]) { self.eventsByRun = eventsByRun }

    /// A map where every lumi has no event count: `run → [lumis]`.
    public init(lumisByRun: [Int: [Int]]) {
        var map: [Int: [Int: Int?]] = [:]
        for (run, lumis) in lumisByRun {
            var entry: [Int: Int?] = [:]
            for lumi in lumis { entry[lumi] = .some(nil) }
            map[run] = entry
        }
        eventsByRun = map
    }

    /// Replaces everything known about `run` (WMCore overwrites a repeated `Run ID`).
    public mutating func setRun(_ run: Int, lumis: [(lumi: Int, events: Int?)]) {
        var entry: [Int: Int?] = [:]
        for item in lumis { entry[item.lumi] = .some(item.events) }
        eventsByRun[run] = entry
    }

    /// True when no run is present.
    public var isEmpty: Bool { eventsByRun.isEmpty }

    /// The run numbers, ascending.
    public var runs: [Int] { eventsByRun.keys.sorted() }

    /// The lumis of `run`, ascending (empty for an unknown run).
    public func lumis(inRun run: Int) -> [Int] { (eventsByRun[run] ?? [:]).keys.sorted() }

    /// The event count recorded for one lumi: `nil` if the lumi is absent, `.some(nil)` if it has no count.
    public func events(run: Int, lumi: Int) -> Int?? { eventsByRun[run]?[lumi] }

    /// True when some run carries no lumi (one of WMCore's 70452 conditions).
    public var hasRunWithoutLumis: Bool { eventsByRun.values.contains { $0.isEmpty } }
}
