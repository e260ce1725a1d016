/// WMCore's WMBS merge algorithms `ParentlessMergeBySize` and `WMBSMergeBySize`.
enum Merge {
    /// The size/event limits and the flush rule shared by both merge algorithms.
    struct Limits {
        let maxSize: Int
        let minSize: Int
        let maxEvents: Int
        /// `max_wait_time` (ParentlessMergeBySize only).
        let maxWaitTime: Double?
        /// Flush whatever is pending (fileset closed and workflow injected).
        let force: Bool
        let now: Double

        /// Whether pending work of `size` bytes may become a job, given the age reference `insertTime`.
        func mayFlush(pendingSize: Int, insertTime: Double) -> Bool {
            if pendingSize > minSize || force { return true }
            if let wait = maxWaitTime { return now - insertTime > wait }
            return false
        }
    }

    /// A unit that must be merged whole: a file (Parentless) or all files of one parent (WMBS).
    struct Unit {
        var files: [SplitFile]
        var size: Int
        var events: Int
        var run: Int
        var lumi: Int
        var firstEvent: Int
        var insertTime: Double
    }

    /// `defineMergeJobs`: an oversized unit becomes its own job; when adding a unit would overflow, the pending
    /// units are flushed if the flush rule allows, else the unit is skipped; the remainder is flushed by the same
    /// rule (aged by the earliest insert time seen, which WMCore never resets).
    static func pack(_ units: [Unit], _ limits: Limits, emit: ([Unit]) -> Void) {
        var pending: [Unit] = []
        var pendingSize = 0
        var pendingEvents = 0
        var earliestInsert = 999_999_999_999_999.0
        for unit in units {
            if unit.size > limits.maxSize || unit.events > limits.maxEvents {
                emit([unit])
                continue
            } else if unit.size + pendingSize > limits.maxSize || unit.events + pendingEvents > limits.maxEvents {
                guard limits.mayFlush(pendingSize: pendingSize, insertTime: unit.insertTime) else { continue }
                emit(pending)
                pending = []
                pendingSize = 0
                pendingEvents = 0
            }
            pending.append(unit)
            pendingSize += unit.size
            pendingEvents += unit.events
            earliestInsert = min(earliestInsert, unit.insertTime)
        }
        if !pending.isEmpty && limits.mayFlush(pendingSize: pendingSize, insertTime: earliestInsert) {
            emit(pending)
        }
    }

    /// Sort key of WMCore's `fileCompare` (run, lumi, first event), stable. Keys are compared without
    /// copying units, and input already in order (the usual case) is returned as it is.
    private static func sortedUnits(_ units: [Unit]) -> [Unit] {
        let keys = units.map { (run: $0.run, lumi: $0.lumi, firstEvent: $0.firstEvent) }
        func precedes(_ a: Int, _ b: Int) -> Bool {
            let x = keys[a], y = keys[b]
            if x.run != y.run { return x.run < y.run }
            if x.lumi != y.lumi { return x.lumi < y.lumi }
            if x.firstEvent != y.firstEvent { return x.firstEvent < y.firstEvent }
            return a < b
        }
        if keys.indices.dropFirst().allSatisfy({ precedes($0 - 1, $0) }) { return units }
        return keys.indices.sorted(by: precedes).map { units[$0] }
    }

    /// The merge view of a file: its first PNN, lowest run and lowest lumi, as WMBS's merge queries return them.
    /// Files without a location or without run/lumi information are not returned by those queries.
    private static func mergeUnit(_ f: SplitFile) -> (pnn: String, unit: Unit)? {
        var lowestLumi: Int? = nil
        for run in f.runs { for lumi in run.lumis where lowestLumi.map({ lumi < $0 }) ?? true { lowestLumi = lumi } }
        guard let pnn = f.locations.first, let run = f.minRun, let lumi = lowestLumi else { return nil }
        return (pnn, Unit(files: [f], size: f.size, events: f.events, run: run, lumi: lumi,
                          firstEvent: f.firstEvent, insertTime: f.insertTime))
    }

    /// Groups items by key in first-seen order.
    private static func ordered<K: Hashable, V>(_ items: [(K, V)]) -> [(K, [V])] {
        var order: [K] = []
        var slot: [K: Int] = [:]
        var lists: [[V]] = []
        var last: (key: K, slot: Int)? = nil
        for (k, v) in items {
            // Neighbours usually share their key: no hashing then.
            if let last, last.key == k {
                lists[last.slot].append(v)
                continue
            }
            let index: Int
            if let known = slot[k] {
                index = known
            } else {
                index = lists.count
                slot[k] = index
                order.append(k)
                lists.append([])
            }
            lists[index].append(v)
            last = (k, index)
        }
        return zip(order, lists).map { ($0, $1) }
    }

    private static func limits(_ parameters: SplitParameters, maxEventsDefault: Int, wait: Double?,
                               force: Bool, now: Double) throws -> Limits {
        Limits(maxSize: try parameters.int("max_merge_size", default: 1_000_000_000),
               minSize: try parameters.int("min_merge_size", default: 1_048_576),
               maxEvents: try parameters.int("max_merge_events", default: maxEventsDefault),
               maxWaitTime: wait, force: force, now: now)
    }

    /// `ParentlessMergeBySize`: files grouped by PNN (and run unless `merge_across_runs`), sorted by run, lumi,
    /// first event; jobs estimated at `300 + 4*size/5e6` s and `(size + largest file)/1024` kB.
    static func parentless(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let acrossRuns = parameters.bool("merge_across_runs", default: true)
        let wait = try parameters.double("max_wait_time", default: 12 * 3600)
        let limits = try limits(parameters, maxEventsDefault: 100_000_000, wait: wait,
                                force: context.filesetClosed && context.workflowInjected, now: context.now)
        // WMBS returns each file once: drop repeated LFNs (no hashing when the LFNs are ascending, as the job creator gives them).
        let ascending = files.indices.dropFirst().allSatisfy { utf8Precedes(files[$0 - 1].lfn, files[$0].lfn) }
        var seen = Set<String>(minimumCapacity: ascending ? 0 : files.count)
        let rows = files.compactMap { f -> (String, Unit)? in
            guard ascending || seen.insert(f.lfn).inserted else { return nil }
            return mergeUnit(f)
        }
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        for (pnn, units) in ordered(rows) {
            factory.newGroup(locations: [pnn])
            let batches = acrossRuns ? [units] : ordered(units.map { ($0.run, $0) }).map(\.1)
            for batch in batches {
                pack(sortedUnits(batch), limits) { chosen in
                    let jobFiles = sortedUnits(chosen).flatMap(\.files)
                    var jobSize = 0, largest = 0
                    for f in jobFiles {
                        jobSize += f.size
                        largest = max(largest, f.size)
                    }
                    factory.newJob(files: jobFiles)
                    factory.currentJob.addResourceEstimates(jobTime: 300 + Double(jobSize) * 4 / 5_000_000,
                                                            disk: Double(jobSize + largest) / 1024)
                }
            }
        }
        return factory.outcome()
    }

    /// `WMBSMergeBySize`: only files whose parents' jobs all succeeded; merge units are the files of one parent
    /// per (PNN, run), sorted by run and lumi, files inside by first event; no wait time. When the fileset is
    /// closed the orphans (files whose parents did not succeed) are failed; pending work is forced only if the
    /// workflow is injected.
    static func wmbs(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let limits = try limits(parameters, maxEventsDefault: 50_000, wait: nil,
                                force: context.filesetClosed && context.workflowInjected, now: context.now)
        let succeeded = context.succeededParentLFNs
        let parentsSucceeded: (SplitFile) -> Bool = { f in succeeded.map { set in f.parents.allSatisfy(set.contains) } ?? true }
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        if context.filesetClosed {
            factory.failedFiles = files.filter { !parentsSucceeded($0) }.map(\.lfn)
        }
        let rows = files.filter(parentsSucceeded).compactMap { f -> (String, (parent: String, unit: Unit))? in
            guard let (pnn, unit) = mergeUnit(f) else { return nil }
            return (pnn, (f.parents.first ?? "", unit))
        }
        for (pnn, pnnRows) in ordered(rows) {
            factory.newGroup(locations: [pnn])
            for (_, runRows) in ordered(pnnRows.map { ($0.unit.run, $0) }) {
                let units = mergeUnitsByParent(runRows)
                let sorted = units.enumerated().sorted { a, b in
                    (a.element.run, a.element.lumi, a.offset) < (b.element.run, b.element.lumi, b.offset)
                }.map(\.element)
                pack(sorted, limits) { chosen in
                    factory.newJob()
                    for unit in chosen {
                        let unitFiles = unit.files.enumerated().sorted {
                            ($0.element.firstEvent, $0.offset) < ($1.element.firstEvent, $1.offset)
                        }.map(\.element)
                        for f in unitFiles {
                            factory.currentJob.addResourceEstimates(disk: Double(f.size) / 1024)
                            factory.currentJob.inputFiles.append(f)
                        }
                    }
                }
            }
        }
        return factory.outcome()
    }

    /// `defineMergeUnits` for one (PNN, run): files of the same parent form one unit. WMCore's quirk is kept:
    /// when a joining file has a lower lumi, it is the most recently *created* unit whose run/lumi is lowered.
    private static func mergeUnitsByParent(_ rows: [(parent: String, unit: Unit)]) -> [Unit] {
        var units: [Unit] = []
        var unitIndex: [String: Int] = [:]
        var lastCreated: Int?
        for (parent, file) in rows {
            if let i = unitIndex[parent] {
                units[i].files.append(contentsOf: file.files)
                units[i].size += file.size
                units[i].events += file.events
                if file.run < units[i].run || (file.run == units[i].run && file.lumi < units[i].lumi), let j = lastCreated {
                    units[j].run = file.run
                    units[j].lumi = file.lumi
                }
            } else {
                units.append(file)
                unitIndex[parent] = units.count - 1
                lastCreated = units.count - 1
            }
        }
        return units
    }
}
