import JobSplitting

/// WorkQueue's MonteCarlo start policy: slices a generator task by events.
///
/// SliceSize is the task's events per job and the sub-slice its events per lumi. Each element covers
/// SliceSize × MaxJobsPerElement events (the last one the rest), with a mask of run 1 holding contiguous events
/// from `FirstEvent` and contiguous lumis from `FirstLumi`; an element of n events has
/// `floor(n/S) × ceil(S/SS) + ceil((n mod S)/SS)` lumis and `ceil(n/S)` jobs.
public struct MonteCarloPolicy: Hashable, Sendable {
    /// Most jobs in one element (WorkQueue default 1000).
    public var maxJobsPerElement: Int
    /// Most lumis in one element (WMCore's `MAX_LUMIS_PER_WQE`); nil for no limit.
    public var maxLumisPerElement: Int?
    /// Most jobs of one task, all its elements together (`JobCeiling`); nil for no limit.
    public var maxJobsPerTask: Int?

    /// Makes the policy with WorkQueue's defaults.
    public init(maxJobsPerElement: Int = 1000, maxLumisPerElement: Int? = nil, maxJobsPerTask: Int? = nil) {
        self.maxJobsPerElement = maxJobsPerElement
        self.maxLumisPerElement = maxLumisPerElement
        self.maxJobsPerTask = maxJobsPerTask
    }

    /// One element's share of the events.
    public struct Slice: Hashable, Sendable {
        /// First event (inclusive).
        public var firstEvent: Int
        /// Last event (inclusive).
        public var lastEvent: Int
        /// First lumi (inclusive).
        public var firstLumi: Int
        /// Last lumi (inclusive).
        public var lastLumi: Int
        /// Jobs, `ceil(events / SliceSize)`.
        public var jobs: Int

        /// Events in the slice.
        public var events: Int { lastEvent - firstEvent + 1 }
        /// Lumis in the slice.
        public var lumis: Int { lastLumi - firstLumi + 1 }
        /// The element mask: run 1, these events and lumis.
        public var mask: JobMask {
            var mask = JobMask(firstEvent: firstEvent, lastEvent: lastEvent, firstLumi: firstLumi, lastLumi: lastLumi,
                               firstRun: 1, lastRun: 1)
            mask.addRunAndLumis(run: 1, first: firstLumi, last: lastLumi)
            return mask
        }
    }

    /// Lumis of `events` events: `floor(n/S) × ceil(S/SS) + ceil((n mod S)/SS)`.
    public static func lumis(events: Int, sliceSize: Int, subSliceSize: Int) -> Int {
        let perJob = (sliceSize + subSliceSize - 1) / subSliceSize
        let rest = events % sliceSize
        return (events / sliceSize) * perJob + (rest + subSliceSize - 1) / subSliceSize
    }

    /// The slices for `total` events. `firstSliceEvents`, when given, sizes the first slice (the validation sample),
    /// rounded up to whole jobs. An event number past 2³²−1 restarts the slice's events at 1, as WorkQueue does.
    ///
    /// - Throws: `StartPolicyError.tooManyLumis` when a slice exceeds `maxLumisPerElement`.
    public func slices(task: String, total: Int, firstEvent: Int, firstLumi: Int, sliceSize: Int, subSliceSize: Int,
                       firstSliceEvents: Int? = nil) throws(StartPolicyError) -> [Slice] {
        let size = max(1, sliceSize)
        let sub = max(1, min(subSliceSize, size))
        let step = size * max(1, maxJobsPerElement)
        var slices: [Slice] = []
        var done = 0
        var nextEvent = firstEvent
        var nextLumi = firstLumi
        while done < total {
            var want = slices.isEmpty ? (firstSliceEvents.map { SliceType.jobs(count: $0, size: size) * size } ?? step) : step
            want = min(want, step, total - done)
            let lumis = Self.lumis(events: want, sliceSize: size, subSliceSize: sub)
            if let maximum = maxLumisPerElement, lumis > maximum {
                throw .tooManyLumis(task: task, lumis: lumis, maximum: maximum)
            }
            if nextEvent + want - 1 > Int(UInt32.max) { nextEvent = 1 }
            slices.append(Slice(firstEvent: nextEvent, lastEvent: nextEvent + want - 1, firstLumi: nextLumi,
                                lastLumi: nextLumi + lumis - 1, jobs: SliceType.jobs(count: want, size: size)))
            nextEvent += want
            nextLumi += lumis
            done += want
        }
        return slices
    }

    /// The elements of a generator task; with a validation sample, the first is the sample.
    ///
    /// - Throws: `StartPolicyError.noEvents` for a task with no events, `.tooManyJobs` for one that would make more
    ///   jobs than `maxJobsPerTask` (before any slice is made), `.tooManyLumis` as `slices` does.
    public func elements(for task: WorkloadTask, context: ElementContext) throws(StartPolicyError) -> [ElementBody] {
        guard case let .generator(_, events, firstEvent, firstLumi) = task.input, events > 0 else {
            throw .noEvents(task: task.path)
        }
        let perJob = task.splitting.int("events_per_job") ?? 1000
        let perLumi = task.splitting.int("events_per_lumi") ?? perJob
        let jobs = JobCeiling.generatorJobs(events: events, perJob: perJob)
        if let maximum = maxJobsPerTask, jobs > maximum {
            throw .tooManyJobs(task: task.path, field: "RequestNumEvents",
                               value: "\(events) events at EventsPerJob \(perJob)", jobs: jobs, maximum: maximum)
        }
        let lumis = Self.lumis(events: events, sliceSize: max(1, perJob), subSliceSize: max(1, min(perLumi, max(1, perJob))))
        if firstLumi - 1 + lumis > Int(UInt32.max) {
            throw .lumiNumbersExhausted(task: task.path, firstLumi: firstLumi, lumis: lumis)
        }
        let slices = try slices(task: task.path, total: events, firstEvent: firstEvent, firstLumi: firstLumi,
                                sliceSize: perJob, subSliceSize: perLumi, firstSliceEvents: context.validationSample?.events)
        let elements = slices.map { slice in
            context.element(task: task, policy: .monteCarlo, mask: slice.mask, jobs: slice.jobs, events: slice.events,
                            lumis: slice.lumis, files: 0)
        }
        return ValidationSample.mark(elements, requested: context.validationSample != nil)
    }
}
