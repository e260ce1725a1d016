/// A `(run, lumi)` pair.
struct RunLumi: Hashable {
    /// The run number.
    var run: Int
    /// The lumi section number.
    var lumi: Int

    /// Whether `self` sorts before `other` (run, then lumi).
    @inline(__always)
    func precedes(_ other: RunLumi) -> Bool { run != other.run ? run < other.run : lumi < other.lumi }
}

/// Dense numbers for `(run, lumi)` pairs: an open-addressing hash table (linear probing, multiplicative
/// hash), much cheaper than a `Dictionary` with `Hasher` for the hundreds of thousands of lumis of a split.
struct RunLumiIndex {
    private var slots: ContiguousArray<Int32>
    private var mask: Int
    /// The numbered pairs, by number.
    private(set) var keys: ContiguousArray<RunLumi> = []

    /// An empty index sized for about `expected` distinct pairs.
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = ContiguousArray(repeating: -1, count: capacity)
        mask = capacity - 1
        keys.reserveCapacity(expected)
    }

    /// How many distinct pairs are numbered.
    var count: Int { keys.count }

    /// Where the probe for `(run, lumi)` starts. Lumis come in long consecutive stretches, so blocks of 16
    /// consecutive lumis hash to 16 neighbouring slots (one cache line) and only the blocks are scattered.
    @inline(__always)
    private func slot(_ key: RunLumi) -> Int {
        let block = UInt64(bitPattern: Int64(key.lumi >> 4))
        var h = (UInt64(bitPattern: Int64(key.run)) &* 0x9E37_79B9_7F4A_7C15) ^ (block &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= h >> 29
        return Int(truncatingIfNeeded: ((h << 4) | UInt64(key.lumi & 15)) & UInt64(mask))
    }

    /// The number of `key` and whether it is new (numbers are 0, 1, 2, ... in first-seen order).
    mutating func number(_ key: RunLumi) -> (id: Int, isNew: Bool) {
        var i = slot(key)
        while true {
            let id = Int(slots[i])
            if id < 0 { break }
            if keys[id] == key { return (id, false) }
            i = (i + 1) & mask
        }
        let id = keys.count
        slots[i] = Int32(id)
        keys.append(key)
        if keys.count * 2 > slots.count { grow() }
        return (id, true)
    }

    private mutating func grow() {
        slots = ContiguousArray(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for id in keys.indices {
            var i = slot(keys[id])
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }
}

/// The wanted lumis of one location's files, numbered by `RunLumiIndex`: per file its distinct lumis in
/// (run, lumi) order, per lumi the files holding it (each occurrence, in file order) and its estimated events
/// (`round(file events / file lumis)`, the last file holding it wins).
struct LumiTable {
    /// What is known of one numbered lumi.
    struct Lumi {
        /// Estimated events.
        var events: Int
        /// First entry of its list of files in `occurrences`.
        var firstOccurrence: Int32
        /// Last entry of that list (where the next file is linked).
        var lastOccurrence: Int32
    }

    /// One file holding a lumi, linked to the next file holding the same lumi.
    private struct Occurrence {
        /// The file (position in the location's list).
        let file: Int32
        /// The next occurrence of the same lumi, or -1.
        var next: Int32
    }

    /// The numbered `(run, lumi)` pairs.
    private(set) var index: RunLumiIndex
    /// The numbered lumis.
    private(set) var lumis: ContiguousArray<Lumi> = []
    /// Per file (position in the location's list): its distinct wanted lumis, sorted, as a range of `fileLumis`.
    private(set) var fileLumiRange: ContiguousArray<Range<Int>> = []
    /// The lumi numbers of every file, file after file.
    private(set) var fileLumis: ContiguousArray<Int32> = []
    private var occurrences: ContiguousArray<Occurrence> = []

    /// Numbers the lumis of `files` that `isWanted(run, lumi)` accepts (all of them when `isWanted` is `nil`).
    init(_ files: [SplitFile], isWanted: ((Int, Int) -> Bool)?) {
        var total = 0
        for f in files { total += f.lumiCount }
        index = RunLumiIndex(expected: total)
        lumis.reserveCapacity(total)
        fileLumis.reserveCapacity(total)
        occurrences.reserveCapacity(total)
        fileLumiRange.reserveCapacity(files.count)
        for (position, f) in files.enumerated() {
            let start = fileLumis.count
            let fileEvents = averageEventsPerLumi(f)
            for run in f.runs {
                for lumi in run.lumis where isWanted?(run.run, lumi) ?? true {
                    let (id, isNew) = index.number(RunLumi(run: run.run, lumi: lumi))
                    let k = Int32(occurrences.count)
                    occurrences.append(Occurrence(file: Int32(position), next: -1))
                    if isNew {
                        lumis.append(Lumi(events: fileEvents, firstOccurrence: k, lastOccurrence: k))
                    } else {
                        occurrences[Int(lumis[id].lastOccurrence)].next = k
                        lumis[id].lastOccurrence = k
                        lumis[id].events = fileEvents
                    }
                    fileLumis.append(Int32(id))
                }
            }
            fileLumiRange.append(start..<sortDistinct(from: start))
        }
    }

    /// Sorts `fileLumis[start...]` by (run, lumi) and drops repeats; returns the new end (and trims the rest).
    private mutating func sortDistinct(from start: Int) -> Int {
        let keys = index.keys
        var increasing = true
        var i = start + 1
        while i < fileLumis.count {
            if !keys[Int(fileLumis[i - 1])].precedes(keys[Int(fileLumis[i])]) { increasing = false; break }
            i += 1
        }
        if increasing { return fileLumis.count }
        fileLumis[start...].sort { keys[Int($0)].precedes(keys[Int($1)]) }
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
        var k = Int(lumis[lumi].firstOccurrence)
        while k >= 0 {
            body(Int(occurrences[k].file))
            k = Int(occurrences[k].next)
        }
    }

    /// The first file holding `lumi`.
    func firstFile(holding lumi: Int) -> Int { Int(occurrences[Int(lumis[lumi].firstOccurrence)].file) }
}
