/// WMCore `EventBased`: `events_per_job` events per job; the MC fake file also gets lumi ranges.
enum EventBased {
    /// The largest event number CMSSW accepts (unsigned 32 bit); MC event numbers wrap to 1 past it.
    static let maxEventNumber = 4_294_967_295

    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let eventsPerJob = try parameters.int("events_per_job", default: 100)
        let eventsPerLumi = try parameters.int("events_per_lumi", default: eventsPerJob)
        guard eventsPerJob > 0, eventsPerLumi > 0 else {
            throw SplittingError.invalidValue(name: "events_per_job/events_per_lumi",
                                              reason: "must be positive, got events_per_job \(eventsPerJob), events_per_lumi \(eventsPerLumi)")
        }
        let lheInput = parameters["lheInputFiles"] ?? .bool(false)
        let deterministicPileup = parameters.bool("deterministicPileup", default: false)
        let perf = try parameters.performance()
        let settings = Settings(eventsPerJob: eventsPerJob, eventsPerLumi: eventsPerLumi, lheInput: lheInput,
                                deterministicPileup: deterministicPileup, perf: perf)

        var factory = JobFactory(subscriptionType: context.subscriptionType)
        for (locations, group) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            factory.newGroup(locations: locations)
            for original in group {
                var file = original
                let runs = file.runs
                file.runs = []  // WMCore clears the file's runs once it has read them
                if file.lfn.hasPrefix("MCFakeFile") {
                    try splitFakeFile(file, runs: runs, settings, &factory)
                } else {
                    splitRealFile(file, settings, &factory)
                }
            }
        }
        return factory.outcome()
    }

    private struct Settings {
        let eventsPerJob: Int
        let eventsPerLumi: Int
        let lheInput: ParameterValue
        let deterministicPileup: Bool
        let perf: PerformanceParameters
    }

    private static func addCommon(_ events: Int, _ s: Settings, _ factory: inout JobFactory) {
        factory.currentJob.addResourceEstimates(jobTime: Double(events) * s.perf.timePerEvent,
                                                memory: s.perf.memoryRequirement,
                                                disk: Double(events) * s.perf.sizePerEvent)
        if s.deterministicPileup {
            factory.currentJob.baggage["skipPileupEvents"] = .int((factory.jobCount - 1) * s.eventsPerJob)
        }
    }

    /// Real input: jobs of `[cur, cur + min(epj, left) - 1]`; a 0-event file gets one job without `LastEvent`.
    private static func splitRealFile(_ file: SplitFile, _ s: Settings, _ factory: inout JobFactory) {
        var currentEvent = file.firstEvent
        var eventsLeft = file.events
        if eventsLeft == 0 {
            factory.newJob(files: [file])
            factory.currentJob.mask.firstEvent = currentEvent
            addCommon(0, s, &factory)
        }
        while eventsLeft > 0 {
            let n = min(eventsLeft, s.eventsPerJob)
            factory.newJob(files: [file])
            factory.currentJob.mask.firstEvent = currentEvent
            factory.currentJob.mask.lastEvent = currentEvent + n - 1
            addCommon(n, s, &factory)
            eventsLeft -= s.eventsPerJob
            currentEvent += s.eventsPerJob
        }
    }

    /// MC fake file: lumis per job = ceil(epj/epl) from the lowest lumi; event numbers wrap to 1 past 2^32-1.
    private static func splitFakeFile(_ file: SplitFile, runs: [FileRun], _ s: Settings,
                                      _ factory: inout JobFactory) throws {
        guard let firstLumi = runs.first?.lumis.min() else {
            throw SplittingError.invalidFile(lfn: file.lfn, reason: "the MC fake file needs a run with lumis")
        }
        var currentEvent = file.firstEvent
        var eventsLeft = file.events
        var currentLumi = firstLumi
        var lumisPerJob = (s.eventsPerJob + s.eventsPerLumi - 1) / s.eventsPerLumi
        let lheBaggage: [String: ParameterValue] = ["lheInputFiles": s.lheInput]
        while eventsLeft > 0 {
            factory.newJob(files: [file])
            factory.currentJob.baggage = lheBaggage
            if currentEvent + s.eventsPerJob - 1 > maxEventNumber && currentEvent + eventsLeft > maxEventNumber {
                currentEvent = 1
            }
            let n = min(eventsLeft, s.eventsPerJob)
            if eventsLeft < s.eventsPerJob {
                lumisPerJob = (eventsLeft + s.eventsPerLumi - 1) / s.eventsPerLumi
            }
            factory.currentJob.mask.firstEvent = currentEvent
            factory.currentJob.mask.lastEvent = currentEvent + n - 1
            factory.currentJob.mask.firstLumi = currentLumi
            factory.currentJob.mask.lastLumi = currentLumi + lumisPerJob - 1
            addCommon(n, s, &factory)
            eventsLeft -= s.eventsPerJob
            currentEvent += s.eventsPerJob
            currentLumi += lumisPerJob
        }
    }
}
