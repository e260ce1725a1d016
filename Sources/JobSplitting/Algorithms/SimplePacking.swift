/// WMCore's `SizeBased`, `RunBased` and `MergeBySize`: file packing without masks or estimates.
enum SimplePacking {
    /// `SizeBased`: packs files in the given order up to `size_per_job` bytes; an oversized file gets a job
    /// of its own (or joins the current job if that is still empty).
    static func sizeBased(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let sizePerJob = try parameters.int("size_per_job", default: 1000)
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        // The job being filled is collected here and added when the next one starts (it is never empty then).
        var jobFiles: [SplitFile] = []
        for (locations, fileList) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            factory.newGroup(locations: locations)
            var currentSize = 0
            for f in fileList {
                if f.size > sizePerJob {
                    if currentSize > 0 { finishJob(&jobFiles, &factory) }
                } else if currentSize + f.size > sizePerJob {
                    finishJob(&jobFiles, &factory)
                    currentSize = 0
                }
                jobFiles.append(f)
                currentSize += f.size
            }
            finishJob(&jobFiles, &factory)
        }
        return factory.outcome()
    }

    /// Adds a job of `files` and empties the list (sized for as many files again).
    private static func finishJob(_ files: inout [SplitFile], _ factory: inout JobFactory) {
        let count = files.count
        factory.addJob(SplitJob(inputFiles: files))
        files = []
        files.reserveCapacity(count)
    }

    /// `RunBased`: files grouped by their lowest run (first-seen order), one group per run, jobs of
    /// `files_per_job` files taken from the *end* of each run's list. Like WMCore, the run lists are shared
    /// across locations.
    static func runBased(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let filesPerJob = try parameters.int("files_per_job", default: 300)
        guard filesPerJob > 0 else {
            throw SplittingError.invalidValue(name: "files_per_job", reason: "must be positive, got \(filesPerJob)")
        }
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        var runOrder: [Int] = []
        var runFiles: [Int: [SplitFile]] = [:]
        for (locations, fileList) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            for f in fileList {
                guard let run = f.minRun else {
                    throw SplittingError.invalidFile(lfn: f.lfn, reason: "RunBased needs files with runs, this one has 0")
                }
                if runFiles[run] == nil { runOrder.append(run) }
                runFiles[run, default: []].append(f)
            }
            for run in runOrder {
                factory.newGroup(locations: locations)
                var pending = runFiles[run] ?? []
                runFiles[run] = []
                while !pending.isEmpty {
                    var jobFiles: [SplitFile] = []
                    for _ in 0..<min(filesPerJob, pending.count) { jobFiles.append(pending.removeLast()) }
                    factory.newJob(files: jobFiles)
                }
            }
        }
        return factory.outcome()
    }

    /// `MergeBySize`: a job once the accumulated size reaches `merge_size`; the remainder only with `all_files`.
    /// Mask `FirstEvent = 0, LastEvent = -1`; job files are a set (listed in LFN order). Like WMCore, the
    /// accumulators are never reset between locations.
    static func mergeBySize(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        guard parameters["merge_size"] != nil else {
            throw SplittingError.missingParameter(name: "merge_size", algorithm: "MergeBySize")
        }
        let mergeSize = try parameters.int("merge_size", default: 0)
        let overflow = parameters.bool("all_files", default: false)
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        var accumulatedSize = 0
        // WMCore's job holds a Fileset (a set by LFN): files in LFN order, a repeated LFN once (the later one).
        var jobFiles: [SplitFile] = []
        func emit() {
            var files = sortedByLFN(jobFiles)
            if files.count > 1 {
                var distinct: [SplitFile] = []
                distinct.reserveCapacity(files.count)
                for f in files {
                    if let last = distinct.last, last.lfn == f.lfn { distinct[distinct.count - 1] = f } else { distinct.append(f) }
                }
                files = distinct
            }
            factory.newJob(files: files)
            factory.currentJob.mask.firstEvent = 0
            factory.currentJob.mask.lastEvent = -1
        }
        for (locations, fileList) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            factory.newGroup(locations: locations)
            for f in fileList {
                accumulatedSize += f.size
                jobFiles.append(f)
                if accumulatedSize >= mergeSize {
                    emit()
                    accumulatedSize = 0
                    jobFiles.removeAll(keepingCapacity: true)
                }
            }
            if !jobFiles.isEmpty && overflow { emit() }
        }
        return factory.outcome()
    }
}
