/// Dense numbers for `(run, lumi)` pairs: an open-addressing hash table (linear probing, multiplicative
/// hash), much cheaper than a `Dictionary` with `Hasher` for the hundreds of thousands of lumis of a split.
struct RunLumiIndex {
    private var slots: ContiguousArray<Int32>
    private var mask: Int
    /// The run of each numbered pair.
    private(set) var runs: ContiguousArray<Int> = []
    /// The lumi of each numbered pair.
    private(set) var lumis: ContiguousArray<Int> = []

    /// An empty index sized for about `expected` distinct pairs.
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = ContiguousArray(repeating: -1, count: capacity)
        mask = capacity - 1
        runs.reserveCapacity(expected)
        lumis.reserveCapacity(expected)
    }

    /// How many distinct pairs are numbered.
    var count: Int { runs.count }

    /// Where the probe for `(run, lumi)` starts. Lumis come in long consecutive stretches, so blocks of 16
    /// consecutive lumis hash to 16 neighbouring slots (one cache line) and only the blocks are scattered.
    @inline(__always)
    private func slot(run: Int, lumi: Int) -> Int {
        let block = UInt64(bitPattern: Int64(lumi >> 4))
        var h = (UInt64(bitPattern: Int64(run)) &* 0x9E37_79B9_7F4A_7C15) ^ (block &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= h >> 29
        return Int(truncatingIfNeeded: ((h << 4) | UInt64(lumi & 15)) & UInt64(mask))
    }

    /// The number of `(run, lumi)`, numbering it (0, 1, 2, ... in first-seen order) if it is new.
    mutating func number(run: Int, lumi: Int) -> Int {
        var i = slot(run: run, lumi: lumi)
        while true {
            let id = Int(slots[i])
            if id < 0 { break }
            if runs[id] == run && lumis[id] == lumi { return id }
            i = (i + 1) & mask
        }
        let id = runs.count
        slots[i] = Int32(id)
        runs.append(run)
        lumis.append(lumi)
        if runs.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        slots = ContiguousArray(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for id in runs.indices {
            var i = slot(run: runs[id], lumi: lumis[id])
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// Whether pair `a` sorts before pair `b` (run, then lumi).
    @inline(__always)
    func precedes(_ a: Int, _ b: Int) -> Bool {
        runs[a] != runs[b] ? runs[a] < runs[b] : lumis[a] < lumis[b]
    }
}

/// The wanted lumis of one location's files, numbered by `RunLumiIndex`: per file its distinct lumis in
/// (run, lumi) order, per lumi the files holding it (each occurrence, in file order) and its estimated events
/// (`round(file events / file lumis)`, the last file holding it wins).
struct LumiTable {
    /// The numbered `(run, lumi)` pairs.
    private(set) var index: RunLumiIndex
    /// Estimated events of each lumi.
    private(set) var events: ContiguousArray<Int> = []
    /// Per file (position in the location's list): its distinct wanted lumis, sorted, as a range of `fileLumis`.
    private(set) var fileLumiRange: ContiguousArray<Range<Int>> = []
    /// The lumi numbers of every file, file after file.
    private(set) var fileLumis: ContiguousArray<Int32> = []
    // Occurrences (file holding a lumi) as linked lists per lumi, kept in insertion order.
    private var firstOccurrence: ContiguousArray<Int32> = []
    private var lastOccurrence: ContiguousArray<Int32> = []
    private var occurrenceFile: ContiguousArray<Int32> = []
    private var nextOccurrence: ContiguousArray<Int32> = []

    /// Numbers the lumis of `files` that `isWanted(run, lumi)` accepts (all of them when `isWanted` is `nil`).
    init(_ files: [SplitFile], isWanted: ((Int, Int) -> Bool)?) {
        var total = 0
        for f in files { total += f.lumiCount }
        index = RunLumiIndex(expected: total)
        fileLumis.reserveCapacity(total)
        events.reserveCapacity(total)
        firstOccurrence.reserveCapacity(total)
        lastOccurrence.reserveCapacity(total)
        occurrenceFile.reserveCapacity(total)
        nextOccurrence.reserveCapacity(total)
        fileLumiRange.reserveCapacity(files.count)
        for (position, f) in files.enumerated() {
            let start = fileLumis.count
            let fileEvents = averageEventsPerLumi(f)
            for run in f.runs {
                for lumi in run.lumis where isWanted?(run.run, lumi) ?? true {
                    let id = index.number(run: run.run, lumi: lumi)
                    if id == events.count {
                        events.append(fileEvents)
                        firstOccurrence.append(-1)
                        lastOccurrence.append(-1)
                    } else {
                        events[id] = fileEvents
                    }
                    addOccurrence(lumi: id, file: position)
                    fileLumis.append(Int32(id))
                }
            }
            fileLumiRange.append(start..<sortDistinct(from: start))
        }
    }

    private mutating func addOccurrence(lumi: Int, file: Int) {
        let k = Int32(occurrenceFile.count)
        occurrenceFile.append(Int32(file))
        nextOccurrence.append(-1)
        if lastOccurrence[lumi] >= 0 { nextOccurrence[Int(lastOccurrence[lumi])] = k } else { firstOccurrence[lumi] = k }
        lastOccurrence[lumi] = k
    }

    /// Sorts `fileLumis[start...]` by (run, lumi) and drops repeats; returns the new end (and trims the rest).
    private mutating func sortDistinct(from start: Int) -> Int {
        let index = self.index
        var increasing = true
        var i = start + 1
        while i < fileLumis.count {
            if !index.precedes(Int(fileLumis[i - 1]), Int(fileLumis[i])) { increasing = false; break }
            i += 1
        }
        if increasing { return fileLumis.count }
        fileLumis[start...].sort { index.precedes(Int($0), Int($1)) }
        var end = start + 1
        for j in (start + 1)..<fileLumis.count where fileLumis[j] != fileLumis[end - 1] {
            fileLumis[end] = fileLumis[j]
            end += 1
        }
        fileLumis.removeSubrange(end...)
        return end
    }

    /// The files (positions) holding `lumi`, one per occurrence, in file order.
    @inline(__always)
    func forEachFile(holding lumi: Int, _ body: (Int) -> Void) {
        var k = Int(firstOccurrence[lumi])
        while k >= 0 {
            body(Int(occurrenceFile[k]))
            k = Int(nextOccurrence[k])
        }
    }

    /// The first file holding `lumi`.
    func firstFile(holding lumi: Int) -> Int { Int(occurrenceFile[Int(firstOccurrence[lumi])]) }
}
