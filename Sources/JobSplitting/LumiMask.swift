import Foundation

/// A good-run/lumi list as WMCore's `buildLumiMask` makes it: run → inclusive `[first, last]` ranges.
struct GoodRunList: Sendable {
    /// Ranges by run; empty means "everything is good".
    var ranges: [Int: [(first: Int, last: Int)]]

    /// An empty list (every lumi is good).
    init() { ranges = [:] }

    /// `buildLumiMask(runs, lumis)`: `lumis[i]` is `"first,last,first,last,..."` for `runs[i]`.
    /// Like Python's `dict(zip(...))`, a repeated run keeps its last entry.
    init(runs: [String], lumis: [String]) throws {
        guard runs.count == lumis.count else {
            throw SplittingError.invalidValue(name: "runs/lumis", reason: "runs and lumis must have same length")
        }
        ranges = [:]
        for (runText, lumiText) in zip(runs, lumis) {
            let parts = lumiText.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count % 2 == 0 else {
                throw SplittingError.invalidValue(name: "lumis",
                                                  reason: "needs an even number of lumis in each element, got '\(lumiText)'")
            }
            let numbers = try parts.map { part -> Int in
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw SplittingError.invalidValue(name: "lumis", reason: "'\(part)' in '\(lumiText)' is not an integer")
                }
                return n
            }
            guard let run = Int(runText.trimmingCharacters(in: .whitespaces)) else {
                throw SplittingError.invalidValue(name: "runs", reason: "run '\(runText)' is not an integer")
            }
            ranges[run] = stride(from: 0, to: numbers.count, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
        }
    }

    /// Reads `runs`/`lumis` from the parameters; both must be non-empty for a mask to apply.
    init(parameters: SplitParameters) throws {
        if let runs = try parameters.stringList("runs"), let lumis = try parameters.stringList("lumis") {
            try self.init(runs: runs, lumis: lumis)
        } else {
            self.init()
        }
    }

    /// Whether there is no mask.
    var isEmpty: Bool { ranges.isEmpty }

    /// `isGoodRun`.
    func isGoodRun(_ run: Int) -> Bool {
        ranges.isEmpty || ranges[run] != nil
    }

    /// `isGoodLumi`.
    func isGoodLumi(run: Int, lumi: Int) -> Bool {
        if ranges.isEmpty { return true }
        guard let list = ranges[run] else { return false }
        return list.contains { $0.first <= lumi && lumi <= $0.last }
    }
}

extension FileRun {
    /// The run with its lumis sorted (WMCore sorts `run.lumis` before lumi splitting).
    var sortedLumis: FileRun { isSortedAscending(lumis) ? self : FileRun(run: run, lumis: lumis.sorted()) }
}

/// Whether a list is in ascending order (checked before sorting: inputs usually are).
@inline(__always)
func isSortedAscending(_ values: [Int]) -> Bool {
    var i = 1
    while i < values.count {
        if values[i - 1] > values[i] { return false }
        i += 1
    }
    return true
}

extension SplitFile {
    /// Runs sorted like Python sorts `Run` objects (run number, then lumi list), each with sorted lumis.
    var sortedRuns: [FileRun] {
        let runs = self.runs
        if runs.count == 1 { return isSortedAscending(runs[0].lumis) ? runs : [runs[0].sortedLumis] }
        return runs.map(\.sortedLumis).sorted { a, b in
            a.run != b.run ? a.run < b.run : a.lumis.lexicographicallyPrecedes(b.lumis)
        }
    }

    /// Whether `sortedRuns` would change nothing.
    var runsAreSorted: Bool { runs.count <= 1 && (runs.first.map { isSortedAscending($0.lumis) } ?? true) }

    /// Total number of lumi sections.
    var lumiCount: Int {
        var total = 0
        for run in runs { total += run.lumis.count }
        return total
    }

    /// The lowest run number, or `nil` without runs (WMBS `minrun`).
    var minRun: Int? {
        var lowest: Int? = nil
        for run in runs where lowest.map({ run.run < $0 }) ?? true { lowest = run.run }
        return lowest
    }
}
