/// WMCore `Harvest`: DQM harvesting over all files of the fileset, per location; one job per run (`byRun`)
/// or one multi-run job, periodically or once at end of run.
enum Harvest {
    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let interval = try parameters.double("periodic_harvest_interval", default: 0)
        let periodicSibling = parameters.bool("periodic_harvest_sibling", default: false)
        let byRun = try parameters.string("dqmHarvestUnit", default: "byRun") == "byRun"
        let lumiMask = try GoodRunList(parameters: parameters)
        let goodRuns = Set(try parameters.intList("runWhitelist")).subtracting(try parameters.intList("runBlacklist"))

        let endOfRun: Bool
        if interval > 0 {
            guard released(period: interval, files, context) else { return SplitOutcome() }
            endOfRun = false
        } else if context.filesetClosed {
            guard released(period: 3600, files, context), !periodicSibling || context.periodicSiblingComplete else {
                return SplitOutcome()
            }
            endOfRun = true
        } else {
            return SplitOutcome()
        }

        // location → run → files, and each file's selected runs.
        var locationOrder: [[String]] = []
        var byLocation: [[String]: (runOrder: [Int], files: [Int: [SplitFile]])] = [:]
        var runsByFile: [String: [FileRun]] = [:]
        for original in files {
            var file = original
            file.runs = []
            let key = locationKey(original.locations)
            if byLocation[key] == nil { locationOrder.append(key); byLocation[key] = ([], [:]) }
            var selected: [FileRun] = []
            for run in original.runs {
                var kept = run
                if !goodRuns.isEmpty {
                    if !goodRuns.contains(run.run) { continue }
                } else if !lumiMask.isEmpty {
                    guard lumiMask.isGoodRun(run.run) else { continue }
                    kept.lumis = run.lumis.filter { lumiMask.isGoodLumi(run: run.run, lumi: $0) }
                    if kept.lumis.isEmpty { continue }
                }
                selected.append(kept)
                if byLocation[key]!.files[run.run] == nil { byLocation[key]!.runOrder.append(run.run) }
                byLocation[key]!.files[run.run, default: []].append(file)
            }
            runsByFile[file.lfn] = selected
        }

        let harvestType = endOfRun ? "EndOfRun" : "Periodic"
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        var jobCount = 0
        func startJob() {
            jobCount += 1
            factory.newJob()
            factory.currentJob.nameSuffix = "\(harvestType)-Harvest-\(jobCount)"
        }
        func addFile(_ f: SplitFile, run: Int) {
            if let fileRun = runsByFile[f.lfn]?.first(where: { $0.run == run }) {
                addRunLumis(fileRun, to: &factory.currentJob.mask)
            }
        }
        for key in locationOrder {
            let entry = byLocation[key]!
            factory.newGroup(locations: key)
            if byRun {
                for run in entry.runOrder {
                    startJob()
                    for f in entry.files[run]! {
                        addFile(f, run: run)
                        factory.currentJob.inputFiles.append(f)
                    }
                    if endOfRun { factory.currentJob.baggage["runIsComplete"] = .bool(true) }
                    mergeLumiRanges(&factory.currentJob.mask)
                }
            } else {
                startJob()
                var added = Set<String>()
                for run in entry.runOrder {
                    for f in entry.files[run]! {
                        addFile(f, run: run)
                        if added.insert(f.lfn).inserted { factory.currentJob.inputFiles.append(f) }
                    }
                }
                if endOfRun { factory.currentJob.baggage["runIsComplete"] = .bool(true) }
                mergeLumiRanges(&factory.currentJob.mask)
                let runs = factory.currentJob.mask.runAndLumis.map(\.run)
                factory.currentJob.baggage["multiRun"] = .bool(true)
                if let lo = runs.min(), let hi = runs.max() {
                    factory.currentJob.baggage["runLimits"] = .string("-\(lo)-\(hi)")
                }
            }
        }
        return factory.outcome()
    }

    /// `ReleasePeriodicJob`: there are files, no harvest job is running (not cleaned out yet; the first one too),
    /// and either none ever finished or the latest finished more than `period` seconds ago.
    private static func released(period: Double, _ files: [SplitFile], _ context: SplitContext) -> Bool {
        guard !files.isEmpty, !context.harvestJobsInProgress else { return false }
        guard let last = context.lastHarvestJobFinished else { return true }
        return context.now - last > period
    }

    /// `Mask.addRun`: the run's sorted lumis as ranges of consecutive lumis.
    private static func addRunLumis(_ run: FileRun, to mask: inout JobMask) {
        var ranges: [(first: Int, last: Int)] = []
        for lumi in run.lumis.sorted() {
            if let current = ranges.last, lumi <= current.last + 1 {
                ranges[ranges.count - 1].last = max(current.last, lumi)
            } else {
                ranges.append((lumi, lumi))
            }
        }
        for range in ranges { mask.addRunAndLumis(run: run.run, first: range.first, last: range.last) }
    }

    /// `mergeLumiRange`: per run, ranges sorted by start and overlapping or adjacent ranges merged.
    private static func mergeLumiRanges(_ mask: inout JobMask) {
        for i in mask.runAndLumis.indices {
            let sorted = mask.runAndLumis[i].ranges.sorted { $0[0] < $1[0] }
            var merged: [[Int]] = []
            for range in sorted {
                if let lastRange = merged.last, lastRange[1] + 1 >= range[0] {
                    merged[merged.count - 1][1] = range[1]
                } else {
                    merged.append(range)
                }
            }
            mask.runAndLumis[i].ranges = merged
        }
    }
}
