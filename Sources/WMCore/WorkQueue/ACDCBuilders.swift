import JobSplitting

/// ACDC entries built from the domain's documents (what the error handler, the accountant and the task
/// archiver record for resubmission).
extension ACDCFile {
    /// The whole of `file`, every lumi and no mask (WMCore's record for a skipped input file); `catalogLumis` are
    /// the catalog's lumis of the file, whose event counts the entry keeps.
    public init(unmasked file: SplitFile, catalogLumis: [LumiSection] = []) {
        let counts = Self.eventCounts(catalogLumis)
        self.init(lfn: file.lfn, events: file.events, locations: file.locations,
                  lumis: file.runs.flatMap { run in run.lumis.map { LumiSection(run: run.run, lumi: $0, events: counts[[run.run, $0]]) } },
                  mask: nil, parents: file.parents)
    }

    /// The part of `file` a failed job still had to do, with its true event count:
    /// - the MC fake file: exactly the job's event range;
    /// - a real file read by event range (EventBased): the range's events, and the lumis it touches when the
    ///   catalog knows the file's events per lumi (all the file's lumis otherwise);
    /// - a real file read by lumi: the lumis of the job's mask, their events from the catalog's per-lumi counts,
    ///   else the file's events shared evenly over its lumis (WorkQueue's estimate).
    public init(job: JobBody, file: SplitFile, catalogLumis: [LumiSection] = []) {
        let mask = job.mask
        // EventBased clears a real file's runs as WMCore does: the catalog's lumis of the file stand in for them.
        let listed = ACDCFile(unmasked: file, catalogLumis: catalogLumis).lumis
        let all = listed.isEmpty && !file.lfn.hasPrefix("MCFakeFile") ? catalogLumis : listed
        var lumis = all
        var events = file.events
        if file.lfn.hasPrefix("MCFakeFile") {
            if let first = mask.firstEvent, let last = mask.lastEvent, last >= first { events = last - first + 1 }
            if !mask.runAndLumis.isEmpty || mask.firstLumi != nil { lumis = Self.lumis(of: mask, in: all, run: file.runs.first?.run) }
        } else if let first = mask.firstEvent, let last = mask.lastEvent, last >= first {
            events = max(0, min(last, file.events - 1) - first + 1)
            if !all.isEmpty, all.allSatisfy({ $0.events != nil }) {
                var start = 0
                lumis = all.filter { lumi in
                    defer { start += lumi.events ?? 0 }
                    return start <= last && start + (lumi.events ?? 0) > first
                }
            }
        } else if !mask.runAndLumis.isEmpty || mask.firstLumi != nil {
            lumis = Self.lumis(of: mask, in: all, run: file.runs.first?.run)
            if lumis.count != all.count {
                if lumis.allSatisfy({ $0.events != nil }) {
                    events = lumis.reduce(0) { $0 + ($1.events ?? 0) }
                } else if !all.isEmpty {
                    events = Int((Double(file.events) * Double(lumis.count) / Double(all.count)).rounded())
                }
            }
        }
        self.init(lfn: file.lfn, events: events, locations: file.locations, lumis: lumis, mask: mask, parents: file.parents)
    }

    /// The lumis of `all` that `mask` keeps (its run/lumi ranges, or its first...last lumi of one run).
    static func lumis(of mask: JobMask, in all: [LumiSection], run fileRun: Int?) -> [LumiSection] {
        if !mask.runAndLumis.isEmpty {
            return all.filter { lumi in
                mask.runAndLumis.contains { $0.run == lumi.run && $0.ranges.contains { $0.count == 2 && $0[0] <= lumi.lumi && lumi.lumi <= $0[1] } }
            }
        }
        guard let first = mask.firstLumi else { return all }
        let last = max(first, mask.lastLumi ?? first)
        let run = mask.firstRun ?? fileRun ?? 1
        let counts = Dictionary(all.map { ([$0.run, $0.lumi], $0.events) }, uniquingKeysWith: { a, _ in a })
        return (first...last).map { LumiSection(run: run, lumi: $0, events: counts[[run, $0]] ?? nil) }
    }

    /// The catalog's per-lumi event counts by `[run, lumi]`.
    static func eventCounts(_ lumis: [LumiSection]) -> [[Int]: Int] {
        var counts: [[Int]: Int] = [:]
        for lumi in lumis { if let events = lumi.events { counts[[lumi.run, lumi.lumi]] = events } }
        return counts
    }
}
