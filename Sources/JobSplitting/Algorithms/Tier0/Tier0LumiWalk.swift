/// The Tier-0 splitters: T0's `Repack`, `RepackMerge`, `Express` and `ExpressMerge` job-splitting algorithms
/// (reference §A.6) as pure functions of a `Tier0SplitInput` and their parameters.
///
/// Each checks its input first and throws `Tier0SplitError` (splitting nothing) when a file or parameter is out
/// of range; otherwise it returns the jobs, split-lumi records and failed files of one pass. Files left out of
/// every job and every failure stay available for the next pass.
public enum Tier0Splitting {}

/// A lumi of pending data in the Repack/RepackMerge walk, with the files keyed to it (none for a lumi that only a
/// multi-lumi file starting earlier covers).
struct Tier0PendingLumi {
    let lumi: Int
    let files: [Tier0File]
}

/// Lumis that hold data without any file keyed to them: RepackMerge keys a file by its first lumi, yet T0's walk
/// counts every lumi from its first to its last as holding data (neither a hole nor used).
struct Tier0LumiCoverage {
    /// Disjoint, sorted, non-adjacent ranges.
    private var ranges: [ClosedRange<Int>] = []

    /// The union of `ranges`.
    init<S: Sequence>(_ ranges: S) where S.Element == ClosedRange<Int> {
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = self.ranges.last, range.lowerBound <= last.upperBound + 1 {
                self.ranges[self.ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                self.ranges.append(range)
            }
        }
    }

    /// Whether every lumi of `lumis` is covered.
    func covers(_ lumis: ClosedRange<Int>) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {  // the first range ending at or after lumis.lowerBound
            let middle = (low + high) / 2
            if ranges[middle].upperBound < lumis.lowerBound { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].lowerBound <= lumis.lowerBound && ranges[low].upperBound >= lumis.upperBound
    }
}

/// The lumi walk shared by Repack and RepackMerge (§A.6 "Shared lumi walk").
///
/// T0 walks every lumi 1 … max(used ∪ data). This walks only the lumis that have files keyed to them or are used
/// (and not covered), and treats each stretch between two of them as one hole when it holds an uncovered lumi:
/// after the first hole lumi the pending data is emitted or dropped, so further hole lumis only set the hole flag
/// again, and a covered lumi without files adds nothing to define. The decisions are the reference's; the time is
/// bounded by the number of files and used lumis rather than by the largest lumi number.
enum Tier0LumiWalk {
    /// Walks `dataLumis` (lumi → files keyed to it) around `usedLumis`, calling `define(pending, force)` whenever
    /// the reference defines jobs. Pending data that is dropped stays available (the caller gives it no job).
    static func walk(dataLumis: [Int: [Tier0File]], coverage: Tier0LumiCoverage = Tier0LumiCoverage([]),
                     usedLumis: Set<Int>, now: Double, maxLatency: Double, filesetClosed: Bool,
                     define: ([Tier0PendingLumi], _ force: Bool) throws -> Void) rethrows {
        var pending: [Tier0PendingLumi] = []
        var haveLumiHole = false
        var previousLumi = 0
        func isOld() -> Bool {
            let newest = pending.lazy.flatMap(\.files).map(\.insertTime).reduce(0, max)
            return now - newest > maxLatency
        }
        func hole() throws {
            if !pending.isEmpty {
                if isOld() {
                    try define(pending, true)
                } else if !haveLumiHole {
                    try define(pending, false)
                }  // else: drop, the files stay available
                pending = []
            }
            haveLumiHole = true
        }
        func used() throws {
            if !pending.isEmpty {
                if !haveLumiHole || isOld() { try define(pending, true) }  // else: drop
                pending = []
            }
            haveLumiHole = false
        }
        let usedUncovered = usedLumis.filter { $0 >= 1 && dataLumis[$0] == nil && !coverage.covers($0...$0) }
        for lumi in Set(dataLumis.keys).union(usedUncovered).sorted() {
            if lumi > previousLumi + 1 && !coverage.covers((previousLumi + 1)...(lumi - 1)) { try hole() }
            if let files = dataLumis[lumi] {
                pending.append(Tier0PendingLumi(lumi: lumi, files: files))
            } else {
                try used()
            }
            previousLumi = lumi
        }
        guard !pending.isEmpty else { return }
        if haveLumiHole {
            if isOld() { try define(pending, true) }
        } else {
            try define(pending, filesetClosed)
        }
    }
}

/// The input checks every Tier-0 splitter makes before it splits (the numbers it adds or compares are bounded).
enum Tier0InputCheck {
    /// Checks `now` and every file: one run for all, lumis sorted, distinct and in 1…2^32−1 (exactly one when
    /// `singleLumi`), size and events in range, insert time finite and ≥ 0.
    static func validate(_ input: Tier0SplitInput, singleLumi: Bool) throws {
        guard input.now.isFinite, input.now >= 0 else {
            throw Tier0SplitError.invalidParameter(name: "now", found: String(input.now), allowed: "finite seconds >= 0")
        }
        let runs = 1...Tier0File.maximumRunOrLumi
        let firstRun = input.files.first?.run
        for file in input.files {
            func refuse(_ field: String, _ found: String, _ allowed: String) -> Tier0SplitError {
                .invalidFile(lfn: file.lfn, field: field, found: found, allowed: allowed)
            }
            guard runs.contains(file.run) else { throw refuse("run", String(file.run), "1...\(runs.upperBound)") }
            guard file.run == firstRun else {
                throw refuse("run", String(file.run), "the run of the other files (\(firstRun ?? 0)): a Tier-0 fileset holds one run")
            }
            if singleLumi {
                guard file.lumis.count == 1 else { throw refuse("lumis", "\(file.lumis)", "exactly one lumi") }
            }
            guard let first = file.lumis.first, let last = file.lumis.last else { throw refuse("lumis", "[]", "at least one lumi") }
            guard runs.contains(first), runs.contains(last), zip(file.lumis, file.lumis.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw refuse("lumis", "\(file.lumis)", "sorted, distinct lumis in 1...\(runs.upperBound)")
            }
            guard (0...Tier0File.maximumSize).contains(file.size) else {
                throw refuse("size", String(file.size), "0...\(Tier0File.maximumSize)")
            }
            guard (0...Tier0File.maximumEvents).contains(file.events) else {
                throw refuse("events", String(file.events), "0...\(Tier0File.maximumEvents)")
            }
            guard file.insertTime.isFinite, file.insertTime >= 0 else {
                throw refuse("insertTime", String(file.insertTime), "finite seconds >= 0")
            }
        }
    }

    /// The files grouped by their only lumi, each group in input order.
    static func byLumi(_ files: [Tier0File]) -> [Int: [Tier0File]] {
        Dictionary(grouping: files, by: { $0.lumis[0] })
    }
}

/// Sums of a group of files (saturating, though checked inputs keep them far inside `Int`).
extension Collection where Element == Tier0File {
    /// The total size in bytes.
    var totalSize: Int { SaturatingArithmetic.sum(map(\.size)) }
    /// The total event count.
    var totalEvents: Int { SaturatingArithmetic.sum(map(\.events)) }
}

/// The first-fit split of one lumi shared by Repack, RepackMerge and Express: each group takes the first remaining
/// file, then every later remaining file with which `fits(size, events)` still holds for the group's totals.
enum Tier0FirstFit {
    /// The groups, in order; together they hold every file once.
    static func split(_ files: [Tier0File], fits: (_ size: Int, _ events: Int) -> Bool) -> [[Tier0File]] {
        var remaining = files
        var groups: [[Tier0File]] = []
        while let first = remaining.first {
            var group = [first]
            var size = first.size
            var events = first.events
            var left: [Tier0File] = []
            for file in remaining.dropFirst() {
                let newSize = SaturatingArithmetic.add(size, file.size)
                let newEvents = SaturatingArithmetic.add(events, file.events)
                if fits(newSize, newEvents) {
                    group.append(file)
                    size = newSize
                    events = newEvents
                } else {
                    left.append(file)
                }
            }
            groups.append(group)
            remaining = left
        }
        return groups
    }
}
