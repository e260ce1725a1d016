import Foundation

/// WMCore `LumiBased` and `EventAwareLumiBased`: they share one lumi walk and differ only in how many lumis
/// a job may hold (fixed `lumis_per_job`, or adapted to `events_per_job` per file) and in their stop rules.
enum LumiBased {
    /// `LumiBased`.
    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let lumisPerJob = try parameters.int("lumis_per_job", default: 1)
        guard lumisPerJob > 0 else {
            throw SplittingError.invalidValue(name: "lumis_per_job", reason: "must be positive, got \(lumisPerJob)")
        }
        var walk = try LumiWalk(parameters, context, policy: .fixed(lumisPerJob: lumisPerJob,
                                                                   totalLumis: try parameters.int("total_lumis", default: 0)))
        // While the fileset is open, a location with fewer lumis than one job waits.
        let groups = groupByLocation(files, trustSiteLists: context.trustSiteLists).filter { entry in
            context.filesetClosed || entry.files.reduce(0) { $0 + $1.lumiCount } >= lumisPerJob
        }
        return try walk.run(groups)
    }

    /// `EventAwareLumiBased`.
    static func splitEventAware(_ files: [SplitFile], _ parameters: SplitParameters,
                                _ context: SplitContext) throws -> SplitOutcome {
        let eventsPerJob = try parameters.int("events_per_job", default: 5000)
        guard eventsPerJob > 0 else {
            throw SplittingError.invalidValue(name: "events_per_job", reason: "must be positive, got \(eventsPerJob)")
        }
        let policy = LumiWalk.Policy.eventAware(
            eventsPerJob: eventsPerJob,
            jobLimit: try parameters.int("job_limit", default: 0),
            jobTimeLimit: try parameters.int("job_time_limit", default: 48 * 3600),
            totalEvents: try parameters.int("total_events", default: 0),
            allowCreationFailure: parameters.bool("allowCreationFailure", default: true))
        var walk = try LumiWalk(parameters, context, policy: policy)
        // While the fileset is open, a location with fewer events than one job waits.
        let groups = groupByLocation(files, trustSiteLists: context.trustSiteLists).filter { entry in
            context.filesetClosed || entry.files.reduce(0) { $0 + $1.events } >= eventsPerJob
        }
        return try walk.run(groups)
    }
}

/// The lumi-by-lumi walk of LumiBased/EventAwareLumiBased (files in run order, one mask range per chain of
/// consecutive lumis, new jobs when full, on run change, at file boundaries if asked, and per location).
struct LumiWalk {
    /// How job sizes are decided.
    enum Policy {
        /// LumiBased: `lumis_per_job` lumis per job, stop after `total_lumis` lumis.
        case fixed(lumisPerJob: Int, totalLumis: Int)
        /// EventAwareLumiBased: lumis per job from the file's average events per lumi.
        case eventAware(eventsPerJob: Int, jobLimit: Int, jobTimeLimit: Int, totalEvents: Int, allowCreationFailure: Bool)
    }

    let policy: Policy
    let perf: PerformanceParameters
    let mask: GoodRunList
    let runWhitelist: Set<Int>
    let splitOnFile: Bool
    let splitOnRun: Bool
    let deterministicPileup: Bool
    var factory: JobFactory
    var checker: LumiChecker

    // The walk's state, named as in WMCore.
    var firstLumi: Int?
    var lastLumi: Int?
    var lastRun: Int?
    var lumisInJob = 0
    var lumisPerJob = 0
    var stopJob = true
    var stopTask = false
    var lumisInTask = 0
    var totalAvgEventCount = 0
    var currentJobAvgEventCount = 0
    var eventsPerLumiInDataset = 0
    /// The LFN of the current job's last input file (the walk is the only one adding inputs while it runs).
    var lastInputLFN: String?

    init(_ parameters: SplitParameters, _ context: SplitContext, policy: Policy) throws {
        self.policy = policy
        perf = try parameters.performance()
        mask = try GoodRunList(parameters: parameters)
        runWhitelist = Set(try parameters.intList("runWhitelist"))
        splitOnFile = parameters.bool("halt_job_on_file_boundaries", default: false)
        splitOnRun = parameters.bool("splitOnRun", default: true)
        deterministicPileup = parameters.bool("deterministicPileup", default: false)
        factory = JobFactory(subscriptionType: context.subscriptionType)
        checker = LumiChecker(enabled: parameters.bool("applyLumiCorrection", default: false))
        if case .fixed(let n, _) = policy { lumisPerJob = n }
    }

    /// A file prepared for the walk: sorted runs and lumis, average events per lumi.
    struct PreparedFile {
        var file: SplitFile
        let avgEventsPerLumi: Int
        let lumiCount: Int
    }

    /// Drops files without lumis, sorts runs and lumis, orders files by their lowest run (stable).
    static func prepare(_ files: [SplitFile]) -> [PreparedFile] {
        var prepared: [PreparedFile] = []
        prepared.reserveCapacity(files.count)
        for original in files {
            let lumiCount = original.lumiCount
            guard lumiCount > 0 else { continue }
            var f = original
            if !f.runsAreSorted { f.runs = f.sortedRuns }
            prepared.append(PreparedFile(file: f, avgEventsPerLumi: averageEventsPerLumi(events: f.events, lumiCount: lumiCount),
                                         lumiCount: lumiCount))
        }
        let precedes = { (a: Int, b: Int) -> Bool in
            let ra = prepared[a].file.runs[0], rb = prepared[b].file.runs[0]
            if ra.run != rb.run { return ra.run < rb.run }
            if ra.lumis != rb.lumis { return ra.lumis.lexicographicallyPrecedes(rb.lumis) }
            return a < b
        }
        // Files usually come in run order already: check before sorting.
        if prepared.indices.dropFirst().allSatisfy({ precedes($0 - 1, $0) }) { return prepared }
        return prepared.indices.sorted(by: precedes).map { prepared[$0] }
    }

    mutating func run(_ groups: [(locations: [String], files: [SplitFile])]) throws -> SplitOutcome {
        locations: for (locations, files) in groups {
            factory.newGroup(locations: locations)
            stopJob = true
            for prepared in Self.prepare(files) {
                try walkFile(prepared)
                if stopTask { break locations }
            }
        }
        if checker.enabled, let position = factory.currentJobPosition { checker.close(job: factory.currentJob, at: position) }
        checker.fixInputFiles(&factory)
        return factory.outcome()
    }

    private mutating func walkFile(_ p: PreparedFile) throws {
        let f = p.file
        let avg = p.avgEventsPerLumi
        if deterministicPileup { eventsPerLumiInDataset = avg }
        var lumisInJobInFile = 0
        var inputIsThisFile = false  // the current job's last input has this file's LFN
        var updateSplitOnJobStop = false
        var failNextJob = false
        let timePerLumi = Double(avg) * perf.timePerEvent

        switch policy {
        case .fixed:
            if splitOnFile { stopJob = true }
        case let .eventAware(eventsPerJob, _, jobTimeLimit, _, allowCreationFailure):
            if timePerLumi > Double(jobTimeLimit) && p.lumiCount == 1 {
                lumisPerJob = 1
                stopJob = true
                failNextJob = allowCreationFailure
            } else if splitOnFile {
                stopJob = true
                lumisPerJob = avg > 0 ? max(eventsPerJob / avg, 1) : p.lumiCount
            } else {
                updateSplitOnJobStop = true
                let eventsRemaining = max(eventsPerJob - currentJobAvgEventCount, 0)
                let lumisAllowed = avg > 0 ? eventsRemaining / avg : p.lumiCount
                lumisPerJob = max(lumisInJob + lumisAllowed, 1)
            }
        }

        for run in f.runs {
            if !mask.isGoodRun(run.run) { continue }
            if !runWhitelist.isEmpty && !runWhitelist.contains(run.run) { continue }
            firstLumi = nil
            if splitOnRun && run.run != lastRun { stopJob = true }

            for lumi in run.lumis {
                if !mask.isGoodLumi(run: run.run, lumi: lumi) || checker.isSplitLumi(run: run.run, lumi: lumi, file: f) {
                    // Kill the chain of good lumis and skip this one.
                    if let first = firstLumi, first != lumi { flushChain(run: run.run, avg) }
                    continue
                }
                // A gap ends the chain (WMCore tests `if lastLumi`, so lumi 0 never chains).
                if let last = lastLumi, last != 0, lumi != last + 1 { flushChain(run: run.run, avg) }
                if firstLumi == nil { firstLumi = lumi }
                if lumisInJob == lumisPerJob { stopJob = true }

                if stopJob {
                    if let first = firstLumi, let last = lastLumi, let previousRun = lastRun {
                        factory.currentJob.addLumiRange(run: previousRun, first: first, last: last,
                                                        avgEventsPerLumi: avg, perf)
                    }
                    var failure: CreationFailure?
                    if failNextJob {
                        failure = CreationFailure(reason: "File \(f.lfn) has a single lumi \(lumi), in run \(run.run) "
                            + "with too many events \(f.events) and it woud take \(SaturatingArithmetic.int(timePerLumi)) sec to run")
                    }
                    try startJob(failure: failure, file: f)
                    inputIsThisFile = true
                    failNextJob = false
                    firstLumi = lumi
                    lumisInJob = 0
                    lumisInJobInFile = 0
                    currentJobAvgEventCount = 0
                    if updateSplitOnJobStop, case let .eventAware(eventsPerJob, _, _, _, _) = policy {
                        // We were carrying over from a previous file: size jobs for this file from now on.
                        updateSplitOnJobStop = false
                        lumisPerJob = avg > 0 ? max(eventsPerJob / avg, 1) : p.lumiCount
                    }
                }

                lumisInJob += 1
                lumisInJobInFile += 1
                lastLumi = lumi
                stopJob = false
                lastRun = run.run
                if !inputIsThisFile {
                    if lastInputLFN != f.lfn {
                        factory.currentJob.inputFiles.append(f)
                        lastInputLFN = f.lfn
                    }
                    inputIsThisFile = true
                }

                switch policy {
                case let .fixed(_, totalLumis):
                    lumisInTask += 1
                    if totalLumis > 0 && lumisInTask >= totalLumis { stopTask = true }
                case let .eventAware(_, _, _, totalEvents, _):
                    totalAvgEventCount += avg
                    if totalEvents > 0 && totalAvgEventCount >= totalEvents { stopTask = true }
                }
                if stopTask { break }
            }
            if firstLumi != nil && lastLumi != nil { flushChain(run: run.run, avg) }
            if stopTask { break }
        }
        if case .eventAware = policy, !splitOnFile {
            currentJobAvgEventCount += avg * lumisInJobInFile
        }
    }

    /// Adds the current chain `[firstLumi, lastLumi]` to the current job and clears it.
    private mutating func flushChain(run: Int, _ avg: Int) {
        if let first = firstLumi, let last = lastLumi {
            factory.currentJob.addLumiRange(run: run, first: first, last: last, avgEventsPerLumi: avg, perf)
        }
        firstLumi = nil
        lastLumi = nil
    }

    private mutating func startJob(failure: CreationFailure?, file: SplitFile) throws {
        // Only with lumi correction: reading `currentJob` copies the job.
        if checker.enabled, let position = factory.currentJobPosition { checker.close(job: factory.currentJob, at: position) }
        let baggage: [String: ParameterValue] =
            deterministicPileup ? ["skipPileupEvents": .int(SaturatingArithmetic.multiply(
                SaturatingArithmetic.multiply(factory.jobCount, lumisPerJob), eventsPerLumiInDataset))] : [:]
        var inputs: [SplitFile] = []
        inputs.reserveCapacity(2)
        inputs.append(file)
        // A new job's memory estimate is what `addResourceEstimates(memory:)` is given; built in one expression,
        // the job moves into the factory without a copy.
        factory.addJob(SplitJob(inputFiles: inputs, estimatedMemoryUsage: perf.memoryRequirement, baggage: baggage,
                                creationFailure: failure))
        lastInputLFN = file.lfn
        if case let .eventAware(_, jobLimit, _, _, _) = policy, jobLimit > 0, factory.jobCount > jobLimit {
            throw SplittingError.jobLimitExceeded(limit: jobLimit)
        }
    }
}

/// WMCore `LumiChecker` (`applyLumiCorrection`): a lumi seen again (split across files) is skipped and its
/// file is added to the job that processed the lumi first.
struct LumiChecker {
    private struct RunLumi: Hashable { let run: Int; let lumi: Int }
    let enabled: Bool
    private var lumiJobs: [RunLumi: (group: Int, job: Int)?] = [:]
    private var splitLumiOrder: [RunLumi] = []
    private var splitLumiFiles: [RunLumi: [SplitFile]] = [:]

    init(enabled: Bool) { self.enabled = enabled }

    /// Whether `(run, lumi)` was seen before; remembers `file` for it if so.
    mutating func isSplitLumi(run: Int, lumi: Int, file: SplitFile) -> Bool {
        guard enabled else { return false }
        let key = RunLumi(run: run, lumi: lumi)
        if lumiJobs[key] != nil {
            if splitLumiFiles[key] == nil { splitLumiOrder.append(key) }
            splitLumiFiles[key, default: []].append(file)
            return true
        }
        lumiJobs[key] = .some(nil)
        return false
    }

    /// Records which job holds each lumi of `job`'s mask.
    mutating func close(job: SplitJob, at position: (group: Int, job: Int)) {
        guard enabled else { return }
        for entry in job.mask.runAndLumis {
            for range in entry.ranges where range.count == 2 && range[0] <= range[1] {
                for lumi in range[0]...range[1] { lumiJobs[RunLumi(run: entry.run, lumi: lumi)] = .some(position) }
            }
        }
    }

    /// Adds the files of split lumis to the jobs that processed those lumis.
    func fixInputFiles(_ factory: inout JobFactory) {
        guard enabled else { return }
        for key in splitLumiOrder {
            guard let entry = lumiJobs[key], let position = entry else { continue }
            for file in splitLumiFiles[key] ?? [] {
                factory.modifyJob(at: position) { $0.inputFiles.append(file) }
            }
        }
    }
}
