/// WMCore `FileBased` and `MinFileBased`: a fixed number of files per job.
enum FileBased {
    /// `FileBased`: files in LFN order, `files_per_job` per job, optional lumi mask, `total_files`,
    /// `respect_run_boundaries` and `jobs_per_group`.
    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let filesPerJob = try parameters.int("files_per_job", default: 10)
        let jobsPerGroup = try parameters.int("jobs_per_group", default: 0)
        let totalFiles = try parameters.int("total_files", default: 0)
        let runBoundaries = parameters.bool("respect_run_boundaries", default: false)
        let perf = try parameters.performance()
        let mask = try GoodRunList(parameters: parameters)
        let masked = !mask.isEmpty

        // Per location: drop files without lumis when masking, order by LFN (as positions, to copy no file).
        var locations: [(locations: [String], files: [SplitFile], order: [Int])] =
            groupIndicesByLocation(files, trustSiteLists: context.trustSiteLists).map { entry in
                guard masked else { return (entry.locations, files, sortedIndicesByLFN(files, entry.indices)) }
                let list = entry.indices.map { files[$0] }.filter { $0.lumiCount > 0 }.map { f in var f = f; f.runs = f.sortedRuns; return f }
                return (entry.locations, list, sortedIndicesByLFN(list, Array(list.indices)))
            }

        // total_files keeps the first N files (in LFN order, after dropping files with no good lumi).
        if totalFiles > 0 {
            var kept = sortedByLFN(locations.flatMap { entry in entry.order.map { entry.files[$0] } })
            if masked { kept.removeAll { !hasGoodLumi($0, mask) } }
            if totalFiles < kept.count {
                let removed = Set(kept[totalFiles...].map(\.lfn))
                for i in locations.indices {
                    let list = locations[i].files
                    locations[i].order.removeAll { removed.contains(list[$0].lfn) }
                }
            }
        }

        var factory = JobFactory(subscriptionType: context.subscriptionType)
        for (locs, fileList, order) in locations {
            factory.newGroup(locations: locs)
            var filesInJob = 0
            var jobsInGroup = 0
            var jobRun: Int? = nil
            func startJob(_ f: SplitFile) {
                if jobsPerGroup > 0 && jobsInGroup > jobsPerGroup {
                    factory.newGroup(locations: locs)
                    jobsInGroup = 0
                }
                factory.newJob()
                factory.currentJob.inputFiles.reserveCapacity(min(filesPerJob, order.count))
                factory.currentJob.addResourceEstimates(memory: perf.memoryRequirement)
                filesInJob = 0
                jobsInGroup += 1
                jobRun = f.minRun
            }
            for position in order {
                let f = fileList[position]
                let fileRun = f.minRun
                var createNewJob = filesInJob == 0 || filesInJob == filesPerJob || (runBoundaries && fileRun != jobRun)
                if masked {
                    let avg = averageEventsPerLumi(f)
                    var chain = LumiChain()
                    for run in f.runs where mask.isGoodRun(run.run) {
                        for lumi in run.lumis {
                            if !mask.isGoodLumi(run: run.run, lumi: lumi) {
                                chain.flush(run: run.run, avg, perf, into: &factory)
                                continue
                            }
                            if let last = chain.last, lumi != last + 1 {
                                chain.flush(run: run.run, avg, perf, into: &factory)
                            }
                            if createNewJob {
                                startJob(f)
                                createNewJob = false
                                factory.currentJob.inputFiles.append(f)
                                filesInJob += 1
                            }
                            chain.extend(lumi)
                            if factory.currentJob.inputFiles.last?.lfn != f.lfn {
                                factory.currentJob.inputFiles.append(f)
                                filesInJob += 1
                            }
                        }
                        chain.flush(run: run.run, avg, perf, into: &factory)
                    }
                } else {
                    if createNewJob { startJob(f) }
                    factory.currentJob.inputFiles.append(f)
                    filesInJob += 1
                    factory.currentJob.addResourceEstimates(jobTime: Double(f.events) * perf.timePerEvent,
                                                            disk: Double(f.events) * perf.sizePerEvent)
                }
            }
        }
        return factory.outcome()
    }

    /// `MinFileBased`: like FileBased without sorting or masks, but while the fileset is open a location
    /// with fewer than `files_per_job` files is skipped and only full jobs are made.
    static func splitMin(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let filesPerJob = try parameters.int("files_per_job", default: 10)
        let jobsPerGroup = try parameters.int("jobs_per_group", default: 0)
        let runBoundaries = parameters.bool("respect_run_boundaries", default: false)
        let open = !context.filesetClosed
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        for (locs, fileList) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            if fileList.isEmpty || (fileList.count < filesPerJob && open) { continue }
            factory.newGroup(locations: locs)
            var filesInJob = 0
            var jobsInGroup = 0
            var fileCounter = 0
            var jobRun: Int? = nil
            for f in fileList {
                let fileRun = f.minRun
                if filesInJob == 0 || filesInJob == filesPerJob || (runBoundaries && fileRun != jobRun) {
                    if jobsPerGroup > 0 && jobsInGroup > jobsPerGroup {
                        factory.newGroup(locations: locs)
                        jobsInGroup = 0
                    }
                    filesInJob = 0
                    // Not enough files left for a full job while the fileset is open: the rest waits.
                    if fileList.count - fileCounter < filesPerJob && open { continue }
                    factory.newJob()
                    jobsInGroup += 1
                    jobRun = fileRun
                }
                filesInJob += 1
                factory.currentJob.inputFiles.append(f)
                fileCounter += 1
            }
        }
        return factory.outcome()
    }

    private static func hasGoodLumi(_ f: SplitFile, _ mask: GoodRunList) -> Bool {
        f.runs.contains { run in mask.isGoodRun(run.run) && run.lumis.contains { mask.isGoodLumi(run: run.run, lumi: $0) } }
    }
}

/// `int(round(events / lumiCount))` with Python's round-half-to-even; 0 without lumis.
func averageEventsPerLumi(_ f: SplitFile) -> Int {
    averageEventsPerLumi(events: f.events, lumiCount: f.lumiCount)
}

/// `averageEventsPerLumi` when the lumi count is known.
func averageEventsPerLumi(events: Int, lumiCount: Int) -> Int {
    guard lumiCount > 0 else { return 0 }
    return Int((Double(events) / Double(lumiCount)).rounded(.toNearestOrEven))
}

/// A run of consecutive good lumis being collected into a job's mask (`firstLumi`/`lastLumi` in WMCore).
struct LumiChain {
    /// First lumi of the chain.
    var first: Int?
    /// Last lumi of the chain.
    var last: Int?

    /// Adds `lumi` at the end (starting the chain if needed).
    mutating func extend(_ lumi: Int) {
        if first == nil { first = lumi }
        last = lumi
    }

    /// Writes the chain (if complete) to the current job's mask as one range, adds its estimated time and
    /// disk, and clears it.
    mutating func flush(run: Int, _ avgEventsPerLumi: Int, _ perf: PerformanceParameters, into factory: inout JobFactory) {
        if let f = first, let l = last {
            factory.currentJob.addLumiRange(run: run, first: f, last: l, avgEventsPerLumi: avgEventsPerLumi, perf)
        }
        first = nil
        last = nil
    }
}

extension SplitJob {
    /// Adds an inclusive lumi range to the mask and its estimated time and disk (`(last-first+1) * avg` events).
    mutating func addLumiRange(run: Int, first: Int, last: Int, avgEventsPerLumi: Int, _ perf: PerformanceParameters) {
        mask.addRunAndLumis(run: run, first: first, last: last)
        let events = (Double(last) - Double(first) + 1) * Double(avgEventsPerLumi)
        addResourceEstimates(jobTime: events * perf.timePerEvent, disk: events * perf.sizePerEvent)
    }
}
