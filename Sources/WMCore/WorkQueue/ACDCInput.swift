import JobSplitting

/// What a resubmission reads of one input file: everything the failed jobs of the original request left to
/// do with it, merged into one entry.
///
/// ACDC keeps one entry per failed job and input file, so a file several failed jobs read (two lumis of a
/// twenty-lumi file each, or three event ranges of it) appears several times. WMBS holds one file per LFN:
/// injecting the entries one by one kept only one of them and lost the others' lumis (WMCore's own
/// #5665/#8220 bug class). The entries are therefore merged per LFN first: their lumis united, their event
/// ranges (EventBased over real files) united and kept apart, so the splitter can replay each of them.
public struct ACDCInputFile: Hashable, Sendable {
    /// The LFN the resubmission injects (for the MC fake file, one name per failed event range).
    public var lfn: String
    /// The events still to do of the file.
    public var events: Int
    /// Storage locations (PNNs).
    public var locations: [String]
    /// The lumis still to do, sorted, each once.
    public var lumis: [LumiSection]
    /// The event ranges still to do, sorted and disjoint: skip-event index ranges of a real file (EventBased),
    /// event numbers of the MC fake file. Empty when the file's lumis say what is to do.
    public var eventRanges: [ClosedRange<Int>]
    /// Parent LFNs.
    public var parents: [String]

    /// True for the MC fake file of a generation task.
    public var isGenerator: Bool { OutputRules.isMCFakeFile(lfn) }

    /// Makes an entry.
    public init(lfn: String, events: Int, locations: [String], lumis: [LumiSection], eventRanges: [ClosedRange<Int>], parents: [String]) {
        self.lfn = lfn
        self.events = events
        self.locations = locations
        self.lumis = lumis
        self.eventRanges = eventRanges
        self.parents = parents
    }

    /// Unites ranges that overlap or touch; the result is sorted.
    public static func united(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound || range.lowerBound - 1 == last.upperBound {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}

extension ACDCFile {
    /// The event range this entry is about, when it names one: the failed job's `FirstEvent...LastEvent`.
    var eventRange: ClosedRange<Int>? {
        guard let first = mask?.firstEvent, let last = mask?.lastEvent, last >= first else { return nil }
        return first...last
    }
}

extension ACDCRecord {
    /// The record's work merged per input file, in the order files first appear.
    ///
    /// - The MC fake file: one entry per failed event range (`<fake LFN>-acdc-<first event>`), as before.
    /// - A real file whose every entry names an event range (EventBased): one entry with the united ranges,
    ///   its events their total.
    /// - Any other real file: one entry with the united lumis; its events are the per-lumi counts when every
    ///   lumi has one, else those of an entry covering all the lumis, else the entries' sum.
    public var inputFiles: [ACDCInputFile] {
        var order: [String] = []
        var groups: [String: [ACDCFile]] = [:]
        for file in files {
            let key = OutputRules.isMCFakeFile(file.lfn) ? "\(file.lfn)-acdc-\(file.mask?.firstEvent ?? 0)" : file.lfn
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(file)
        }
        return order.map { key in
            let entries = groups[key]!
            var lumis: [LumiSection: Int?] = [:]
            for lumi in entries.flatMap(\.lumis) {
                let bare = LumiSection(run: lumi.run, lumi: lumi.lumi)
                if let known = lumi.events { lumis[bare] = known } else if lumis[bare] == nil { lumis[bare] = .some(nil) }
            }
            let united = lumis.keys.sorted().map { LumiSection(run: $0.run, lumi: $0.lumi, events: lumis[$0]!) }
            let locations = Array(Set(entries.flatMap(\.locations))).sorted()
            let parents = Array(Set(entries.flatMap(\.parents))).sorted()
            let ranges = entries.compactMap(\.eventRange)
            let isGenerator = OutputRules.isMCFakeFile(key)
            if ranges.count == entries.count && (isGenerator || !ranges.isEmpty) && !ranges.isEmpty {
                let merged = ACDCInputFile.united(ranges)
                let events = merged.reduce(0) { $0 + $1.count }
                return ACDCInputFile(lfn: key, events: events, locations: locations, lumis: united, eventRanges: merged, parents: parents)
            }
            let events: Int
            if !united.isEmpty, united.allSatisfy({ $0.events != nil }) {
                events = SaturatingArithmetic.sum(united.lazy.map { $0.events ?? 0 })
            } else if let whole = entries.first(where: { Set($0.lumis.map { LumiSection(run: $0.run, lumi: $0.lumi) }).count == united.count }) {
                events = whole.events
            } else {
                events = SaturatingArithmetic.sum(entries.lazy.map(\.events))
            }
            return ACDCInputFile(lfn: key, events: events, locations: locations, lumis: united, eventRanges: [], parents: parents)
        }
    }
}
