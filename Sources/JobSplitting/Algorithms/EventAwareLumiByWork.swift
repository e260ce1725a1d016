/// WMCore `EventAwareLumiByWork`: walks lumi by lumi (files in LFN order) packing lumis until the job's events
/// are as close as possible to `events_per_job`; every file holding a lumi is attached to its job.
struct EventAwareLumiByWork {
    private struct RunLumi: Hashable { let run: Int; let lumi: Int }

    private let eventsPerJob: Int
    private let perf: PerformanceParameters
    private let deterministicPileup: Bool
    private var factory: JobFactory

    // Job accumulators.
    private var eventsInJob = 0
    private var jobLumis: [RunLumi] = []
    private var jobFiles: [SplitFile] = []
    private var jobFileLFNs: Set<String> = []
    // Location accumulators.
    private var lumisProcessed: Set<RunLumi> = []
    private var filesByLumi: [RunLumi: [SplitFile]] = [:]
    // Deterministic pileup bookkeeping.
    private var maxLumis = 1
    private var maxEvents = 1

    private init(eventsPerJob: Int, perf: PerformanceParameters, deterministicPileup: Bool, type: SubscriptionType) {
        self.eventsPerJob = eventsPerJob
        self.perf = perf
        self.deterministicPileup = deterministicPileup
        factory = JobFactory(subscriptionType: type)
    }

    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let eventsPerJob = try parameters.int("events_per_job", default: 5000)
        let jobTimeLimit = Double(try parameters.int("job_time_limit", default: 48 * 3600))
        let totalEventLimit = try parameters.int("total_events", default: 0)
        let splitOnFile = parameters.bool("halt_job_on_file_boundaries", default: false)
        let splitOnRun = parameters.bool("splitOnRun", default: true)
        guard eventsPerJob > 0 else {
            throw SplittingError.invalidValue(name: "events_per_job", reason: "must be positive, got \(eventsPerJob)")
        }
        let goodRuns = try GoodRunList(parameters: parameters)
        let whitelist = Set(try parameters.intList("runWhitelist"))
        let isWanted: (Int, Int) -> Bool = { run, lumi in
            goodRuns.isGoodLumi(run: run, lumi: lumi) && (whitelist.isEmpty || whitelist.contains(run))
        }
        var state = EventAwareLumiByWork(eventsPerJob: eventsPerJob, perf: try parameters.performance(),
                                         deterministicPileup: parameters.bool("deterministicPileup", default: false),
                                         type: context.subscriptionType)
        let groups = groupByLocation(files, trustSiteLists: context.trustSiteLists).filter { entry in
            context.filesetClosed || entry.files.reduce(0) { $0 + $1.events } >= eventsPerJob
        }

        var totalEvents = 0
        var lastRun: Int?
        var lastFile: String?
        var stopTask = false
        for (locations, filesAtLocation) in groups {
            state.factory.newGroup(locations: locations)
            state.eventsInJob = 0
            state.jobLumis = []
            state.clearJobFiles()
            state.lumisProcessed = []
            let (lumisByFile, eventsByLumi) = state.fileLumiMaps(filesAtLocation, isWanted)

            fileLoop: for f in sortedByLFN(filesAtLocation) {
                guard let lumis = lumisByFile[f.lfn] else { continue }
                for runLumi in lumis {
                    if state.lumisProcessed.contains(runLumi) { continue }
                    let eventsInLumi = eventsByLumi[runLumi] ?? 0
                    if totalEventLimit > 0 && totalEventLimit <= totalEvents {
                        stopTask = true
                        break fileLoop
                    }
                    totalEvents += eventsInLumi
                    state.maxEvents = max(state.maxEvents, eventsInLumi)
                    let timePerLumi = Double(eventsInLumi) * state.perf.timePerEvent
                    let eventsInJob = state.eventsInJob
                    if timePerLumi > jobTimeLimit {
                        let reason = "File \(f.lfn) has a single lumi \(runLumi.lumi), in run \(runLumi.run) with too many "
                            + "events \(eventsInLumi) and it would take \(Int(timePerLumi)) sec to run"
                        state.stopAndMakeJob(runLumi, eventsInLumi: eventsInLumi, failReason: reason)
                    } else if abs(eventsInLumi + eventsInJob - eventsPerJob) >= abs(eventsInJob - eventsPerJob)
                                && eventsInLumi > 0 && eventsInJob > 0 {
                        state.stopAndMakeJob(runLumi, eventsInLumi: eventsInLumi)
                    } else if splitOnRun && runLumi.run != lastRun && eventsInJob > 0 {
                        state.stopAndMakeJob(runLumi, eventsInLumi: eventsInLumi)
                    } else if splitOnFile && state.filesByLumi[runLumi]?.first?.lfn != lastFile && !state.jobLumis.isEmpty {
                        state.stopAndMakeJob(runLumi, eventsInLumi: eventsInLumi)
                    } else {
                        state.addJobFiles(state.filesByLumi[runLumi] ?? [])
                        state.jobLumis.append(runLumi)
                        state.eventsInJob += eventsInLumi
                    }
                    lastRun = runLumi.run
                    lastFile = f.lfn
                }
            }
            if state.eventsInJob > 0 || !state.jobLumis.isEmpty || !state.jobFiles.isEmpty {
                state.makeJob(failure: nil)
            }
            if stopTask { break }
        }
        return state.factory.outcome()
    }

    /// Per file: its wanted lumis (sorted, distinct); per lumi: the files holding it and its estimated events
    /// (`round(file events / file lumis)`, the last file wins).
    private mutating func fileLumiMaps(_ files: [SplitFile], _ isWanted: (Int, Int) -> Bool)
        -> (lumisByFile: [String: [RunLumi]], eventsByLumi: [RunLumi: Int]) {
        var lumisByFile: [String: [RunLumi]] = [:]
        var eventsByLumi: [RunLumi: Int] = [:]
        filesByLumi = [:]
        for f in files {
            let lumisInFile = f.lumiCount
            var wanted = Set<RunLumi>()
            for run in f.runs { for lumi in run.lumis where isWanted(run.run, lumi) { wanted.insert(RunLumi(run: run.run, lumi: lumi)) } }
            if wanted.isEmpty { continue }
            lumisByFile[f.lfn] = wanted.sorted { ($0.run, $0.lumi) < ($1.run, $1.lumi) }
            let events = Int((Double(f.events) / Double(lumisInFile)).rounded(.toNearestOrEven))
            for run in f.runs {
                for lumi in run.lumis where isWanted(run.run, lumi) {
                    let key = RunLumi(run: run.run, lumi: lumi)
                    filesByLumi[key, default: []].append(f)
                    eventsByLumi[key] = events
                }
            }
        }
        return (lumisByFile, eventsByLumi)
    }

    private mutating func clearJobFiles() {
        jobFiles = []
        jobFileLFNs = []
    }

    private mutating func addJobFiles(_ files: [SplitFile]) {
        for f in files where jobFileLFNs.insert(f.lfn).inserted { jobFiles.append(f) }
    }

    /// Emits the accumulated job, then starts a new one with `runLumi`; with `failReason` that lumi also becomes
    /// a job failed at creation (99305) and the accumulators are emptied.
    private mutating func stopAndMakeJob(_ runLumi: RunLumi, eventsInLumi: Int, failReason: String? = nil) {
        if eventsInJob > 0 || failReason == nil { makeJob(failure: nil) }
        eventsInJob = eventsInLumi
        jobLumis = [runLumi]
        lumisProcessed.insert(runLumi)
        clearJobFiles()
        addJobFiles(filesByLumi[runLumi] ?? [])
        if let reason = failReason {
            makeJob(failure: CreationFailure(reason: reason))
            eventsInJob = 0
            jobLumis = []
            clearJobFiles()
        }
    }

    /// `makeNewJobByWork`: one job with the accumulated lumis (compacted into ranges) and files.
    private mutating func makeJob(failure: CreationFailure?) {
        maxLumis = max(maxLumis, jobLumis.count)
        factory.newJob(failure: failure)
        let events = Double(eventsInJob)
        factory.currentJob.addResourceEstimates(jobTime: events * perf.timePerEvent, memory: perf.memoryRequirement,
                                                disk: events * perf.sizePerEvent)
        for (run, ranges) in Self.compactRanges(jobLumis) {
            for range in ranges { factory.currentJob.mask.addRunAndLumis(run: run, first: range.0, last: range.1) }
        }
        factory.currentJob.inputFiles = jobFiles
        if deterministicPileup {
            factory.currentJob.baggage["skipPileupEvents"] = .int((factory.jobCount - 1) * maxEvents * maxLumis)
        }
    }

    /// `LumiList(lumis=...).getCompactList()`: runs ascending, consecutive lumis merged into ranges.
    private static func compactRanges(_ lumis: [RunLumi]) -> [(Int, [(Int, Int)])] {
        var byRun: [Int: Set<Int>] = [:]
        for rl in lumis { byRun[rl.run, default: []].insert(rl.lumi) }
        return byRun.keys.sorted().map { run in
            var ranges: [(Int, Int)] = []
            for lumi in byRun[run]!.sorted() {
                if let last = ranges.last, last.1 + 1 == lumi { ranges[ranges.count - 1].1 = lumi } else { ranges.append((lumi, lumi)) }
            }
            return (run, ranges)
        }
    }
}
