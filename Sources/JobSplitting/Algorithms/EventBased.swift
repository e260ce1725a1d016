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
        let acdcRanges = try acdcEventRanges(parameters)

        var factory = JobFactory(subscriptionType: context.subscriptionType)
        for (locations, group) in groupByLocation(files, trustSiteLists: context.trustSiteLists) {
            factory.newGroup(locations: locations)
            for original in group {
                var file = original
                let runs = file.runs
                file.runs = []  // WMCore clears the file's runs once it has read them
                if file.lfn.hasPrefix("MCFakeFile") {
                    try splitFakeFile(file, runs: runs, settings, &factory)
                } else if let ranges = acdcRanges[file.lfn] {
                    for range in ranges {
                        var part = file
                        part.firstEvent = range.lowerBound
                        part.events = range.count
                        splitRealFile(part, settings, &factory)
                    }
                } else {
                    splitRealFile(file, settings, &factory)
                }
            }
        }
        return factory.outcome()
    }

    /// The resubmission's event ranges per LFN (`JobSplitter.acdcEventRangesParameter`), empty when absent.
    static func acdcEventRanges(_ parameters: SplitParameters) throws -> [String: [ClosedRange<Int>]] {
        let name = JobSplitter.acdcEventRangesParameter
        guard let value = parameters[name], value != .null else { return [:] }
        guard let object = value.objectValue else {
            throw SplittingError.invalidParameter(name: name, expected: "an object of LFN → [[first, last], ...]", found: value.typeName)
        }
        return try object.mapValues { item in
            try (item.arrayValue ?? [.null]).map { pair in
                guard let bounds = pair.arrayValue?.compactMap(\.intValue), bounds.count == 2, bounds[0] >= 0, bounds[0] <= bounds[1],
                      bounds[1] < Int.max else {
                    throw SplittingError.invalidParameter(name: name, expected: "ranges [first, last] with 0 ≤ first ≤ last",
                                                          found: pair.typeName)
                }
                return bounds[0]...bounds[1]
            }
        }
    }

    private struct Settings {
        let eventsPerJob: Int
        let eventsPerLumi: Int
        let lheInput: ParameterValue
        let deterministicPileup: Bool
        let perf: PerformanceParameters
    }

    /// Adds the job (the factory's next) with its resource estimates for `events` events and, with
    /// deterministic pile-up, the pile-up events to skip.
    private static func add(_ job: consuming SplitJob, events: Int, _ s: Settings, _ factory: inout JobFactory) {
        job.addResourceEstimates(jobTime: Double(events) * s.perf.timePerEvent, memory: s.perf.memoryRequirement,
                                 disk: Double(events) * s.perf.sizePerEvent)
        if s.deterministicPileup {
            job.baggage["skipPileupEvents"] = .int(factory.jobCount * s.eventsPerJob)
        }
        factory.addJob(consume job)
    }

    /// Real input: jobs of `[cur, cur + min(epj, left) - 1]`; a 0-event file gets one job without `LastEvent`.
    private static func splitRealFile(_ file: SplitFile, _ s: Settings, _ factory: inout JobFactory) {
        var currentEvent = file.firstEvent
        var eventsLeft = file.events
        let inputs = [file]
        if eventsLeft == 0 {
            var job = SplitJob(inputFiles: inputs)
            job.mask.firstEvent = currentEvent
            add(job, events: 0, s, &factory)
        }
        factory.reserveJobs((eventsLeft + s.eventsPerJob - 1) / s.eventsPerJob)
        while eventsLeft > 0 {
            let n = min(eventsLeft, s.eventsPerJob)
            var job = SplitJob(inputFiles: inputs)
            job.mask.firstEvent = currentEvent
            job.mask.lastEvent = currentEvent + n - 1
            add(job, events: n, s, &factory)
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
        let inputs = [file]
        factory.reserveJobs((eventsLeft + s.eventsPerJob - 1) / s.eventsPerJob)
        while eventsLeft > 0 {
            var job = SplitJob(inputFiles: inputs, baggage: lheBaggage)
            if currentEvent + s.eventsPerJob - 1 > maxEventNumber && currentEvent + eventsLeft > maxEventNumber {
                currentEvent = 1
            }
            let n = min(eventsLeft, s.eventsPerJob)
            if eventsLeft < s.eventsPerJob {
                lumisPerJob = (eventsLeft + s.eventsPerLumi - 1) / s.eventsPerLumi
            }
            job.mask.firstEvent = currentEvent
            job.mask.lastEvent = currentEvent + n - 1
            job.mask.firstLumi = currentLumi
            job.mask.lastLumi = currentLumi + lumisPerJob - 1
            add(job, events: n, s, &factory)
            eventsLeft -= s.eventsPerJob
            currentEvent += s.eventsPerJob
            currentLumi += lumisPerJob
        }
    }
}
