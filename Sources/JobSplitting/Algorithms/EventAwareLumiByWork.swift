/// WMCore `EventAwareLumiByWork`: walks lumi by lumi (files in LFN order) packing lumis until the job's events
/// are as close as possible to `events_per_job`; every file holding a lumi is attached to its job.
///
/// Lumis are numbered per location (`LumiTable`) so the walk works on arrays rather than dictionaries.
struct EventAwareLumiByWork {
    private let eventsPerJob: Int
    private let perf: PerformanceParameters
    private let deterministicPileup: Bool
    private var factory: JobFactory

    // The location being split: its files, lumi table and the LFN group of each file (equal LFNs, one group).
    private var files: [SplitFile] = []
    private var table = LumiTable([], isWanted: nil)
    private var lfnGroup: ContiguousArray<Int> = []
    private var lfnGroupCount = 0
    // Job accumulators.
    private var eventsInJob = 0
    private var jobLumis: [Int] = []
    private var jobFiles: [Int] = []
    /// `jobStamp[group] == jobSerial`: a file of that LFN is already in the job.
    private var jobStamp: ContiguousArray<Int> = []
    private var jobSerial = 0
    // Location accumulator.
    private var lumisProcessed: ContiguousArray<Bool> = []
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
        let isWanted: ((Int, Int) -> Bool)? = goodRuns.isEmpty && whitelist.isEmpty ? nil : { run, lumi in
            goodRuns.isGoodLumi(run: run, lumi: lumi) && (whitelist.isEmpty || whitelist.contains(run))
        }
        var state = EventAwareLumiByWork(eventsPerJob: eventsPerJob, perf: try parameters.performance(),
                                         deterministicPileup: parameters.bool("deterministicPileup", default: false),
                                         type: context.subscriptionType)
        let groups = groupByLocation(files, trustSiteLists: context.trustSiteLists).filter { entry in
            context.filesetClosed || entry.files.reduce(0) { $0 + $1.events } >= eventsPerJob
        }

        state.walk(groups, isWanted, Rules(jobTimeLimit: jobTimeLimit, totalEventLimit: totalEventLimit,
                                          splitOnFile: splitOnFile, splitOnRun: splitOnRun))
        return state.factory.outcome()
    }

    /// When the walk stops a job or the whole task.
    private struct Rules {
        let jobTimeLimit: Double
        let totalEventLimit: Int
        let splitOnFile: Bool
        let splitOnRun: Bool
    }

    /// The lumi walk over every location, files in LFN order.
    private mutating func walk(_ groups: [(locations: [String], files: [SplitFile])], _ isWanted: ((Int, Int) -> Bool)?,
                               _ rules: Rules) {
        var totalEvents = 0
        var lastRun: Int?
        var lastFile: String?
        var stopTask = false
        for (locations, filesAtLocation) in groups {
            factory.newGroup(locations: locations)
            let byLFN = startLocation(filesAtLocation, isWanted)
            let lumiListOwner = lumiListOwners(byLFN)
            // The table and LFN groups stay fixed while the location is walked: local copies spare the accesses.
            let table = self.table, lfnGroup = self.lfnGroup, lumis = table.lumis, keys = table.index.keys
            var lastFilePosition: Int?  // the file last walked, once it is a file of this location

            fileLoop: for position in byLFN {
                guard let owner = lumiListOwner[lfnGroup[position]] else { continue }
                for k in table.fileLumiRange[owner] {
                    let lumi = Int(table.fileLumis[k])
                    if lumisProcessed[lumi] { continue }
                    let eventsInLumi = lumis[lumi].events
                    let run = keys[lumi].run
                    if rules.totalEventLimit > 0 && rules.totalEventLimit <= totalEvents {
                        stopTask = true
                        break fileLoop
                    }
                    totalEvents += eventsInLumi
                    maxEvents = max(maxEvents, eventsInLumi)
                    let timePerLumi = Double(eventsInLumi) * perf.timePerEvent
                    let eventsInJob = self.eventsInJob
                    if timePerLumi > rules.jobTimeLimit {
                        let reason = "File \(files[position].lfn) has a single lumi \(keys[lumi].lumi), in run \(run) "
                            + "with too many events \(eventsInLumi) and it would take \(SaturatingArithmetic.int(timePerLumi)) sec to run"
                        stopAndMakeJob(lumi, eventsInLumi: eventsInLumi, failReason: reason)
                    } else if abs(eventsInLumi + eventsInJob - eventsPerJob) >= abs(eventsInJob - eventsPerJob)
                                && eventsInLumi > 0 && eventsInJob > 0 {
                        stopAndMakeJob(lumi, eventsInLumi: eventsInLumi)
                    } else if rules.splitOnRun && run != lastRun && eventsInJob > 0 {
                        stopAndMakeJob(lumi, eventsInLumi: eventsInLumi)
                    } else if rules.splitOnFile && !jobLumis.isEmpty
                                && isNewFile(table.firstFile(holding: lumi), lastFilePosition: lastFilePosition,
                                             lastFile: lastFile) {
                        stopAndMakeJob(lumi, eventsInLumi: eventsInLumi)
                    } else {
                        addJobFiles(holding: lumi)
                        jobLumis.append(lumi)
                        self.eventsInJob += eventsInLumi
                    }
                    lastRun = run
                    lastFilePosition = position
                }
            }
            if let position = lastFilePosition { lastFile = files[position].lfn }
            if self.eventsInJob > 0 || !jobLumis.isEmpty || !jobFiles.isEmpty {
                makeJob(failure: nil)
            }
            if stopTask { break }
        }
    }

    /// Resets the accumulators for a new location and numbers its lumis; returns the file positions in LFN
    /// order (stable) and sets `lfnGroup` (files with equal LFNs share a group, numbered in LFN order).
    private mutating func startLocation(_ filesAtLocation: [SplitFile], _ isWanted: ((Int, Int) -> Bool)?) -> [Int] {
        files = filesAtLocation
        table = LumiTable(files, isWanted: isWanted)
        eventsInJob = 0
        jobLumis.removeAll(keepingCapacity: true)
        jobFiles.removeAll(keepingCapacity: true)
        lumisProcessed = ContiguousArray(repeating: false, count: table.index.count)
        let byLFN = sortedIndicesByLFN(files, Array(files.indices))
        lfnGroup = ContiguousArray(repeating: 0, count: files.count)
        var group = -1
        for (i, position) in byLFN.enumerated() {
            if i == 0 || files[position].lfn != files[byLFN[i - 1]].lfn { group += 1 }
            lfnGroup[position] = group
        }
        lfnGroupCount = group + 1
        jobStamp = ContiguousArray(repeating: -1, count: lfnGroupCount)
        jobSerial += 1
        return byLFN
    }

    /// Per LFN group, the file whose lumi list the walk uses: WMCore keys the lists by LFN, so the last file
    /// (location order) of that LFN with wanted lumis; `nil` when none has any.
    private func lumiListOwners(_ byLFN: [Int]) -> [Int?] {
        var owners = [Int?](repeating: nil, count: lfnGroupCount)
        for position in byLFN where !table.fileLumiRange[position].isEmpty {
            let group = lfnGroup[position]
            if owners[group].map({ $0 < position }) ?? true { owners[group] = position }
        }
        return owners
    }

    /// Whether `file` has another LFN than the file last walked (`lastFilePosition` in this location, else
    /// `lastFile` from an earlier one).
    private func isNewFile(_ file: Int, lastFilePosition: Int?, lastFile: String?) -> Bool {
        if let last = lastFilePosition { return lfnGroup[file] != lfnGroup[last] }
        return files[file].lfn != lastFile
    }

    /// Empties the job's file list.
    private mutating func clearJobFiles() {
        jobFiles.removeAll(keepingCapacity: true)
        jobSerial += 1
    }

    /// Adds every file holding `lumi` whose LFN is not in the job yet.
    private mutating func addJobFiles(holding lumi: Int) {
        table.forEachFile(holding: lumi) { file in
            let group = lfnGroup[file]
            if jobStamp[group] != jobSerial {
                jobStamp[group] = jobSerial
                jobFiles.append(file)
            }
        }
    }

    /// Emits the accumulated job, then starts a new one with `lumi`; with `failReason` that lumi also becomes
    /// a job failed at creation (99305) and the accumulators are emptied.
    private mutating func stopAndMakeJob(_ lumi: Int, eventsInLumi: Int, failReason: String? = nil) {
        if eventsInJob > 0 || failReason == nil { makeJob(failure: nil) }
        eventsInJob = eventsInLumi
        jobLumis.removeAll(keepingCapacity: true)
        jobLumis.append(lumi)
        lumisProcessed[lumi] = true
        clearJobFiles()
        addJobFiles(holding: lumi)
        if let reason = failReason {
            makeJob(failure: CreationFailure(reason: reason))
            eventsInJob = 0
            jobLumis.removeAll(keepingCapacity: true)
            clearJobFiles()
        }
    }

    /// `makeNewJobByWork`: one job with the accumulated lumis (compacted into ranges) and files.
    private mutating func makeJob(failure: CreationFailure?) {
        maxLumis = max(maxLumis, jobLumis.count)
        let events = Double(eventsInJob)
        let baggage: [String: ParameterValue] =
            deterministicPileup ? ["skipPileupEvents": .int(SaturatingArithmetic.multiply(
                SaturatingArithmetic.multiply(factory.jobCount, maxEvents), maxLumis))] : [:]
        // A new job's resource estimates are what `addResourceEstimates` is given; the job is built in one
        // expression so that it moves into the factory without a copy.
        factory.addJob(SplitJob(inputFiles: jobFiles.map { files[$0] }, mask: JobMask(runAndLumis: compactRanges()),
                                estimatedJobTime: events * perf.timePerEvent, estimatedDiskUsage: events * perf.sizePerEvent,
                                estimatedMemoryUsage: perf.memoryRequirement, baggage: baggage, creationFailure: failure))
    }

    /// `LumiList(lumis=...).getCompactList()` of the job's lumis: runs ascending, consecutive lumis merged.
    private func compactRanges() -> [RunLumiRanges] {
        let keys = table.index.keys
        var ids = jobLumis
        guard !ids.isEmpty else { return [] }
        for i in ids.indices.dropFirst() where !keys[ids[i - 1]].precedes(keys[ids[i]]) {
            ids.sort { keys[$0].precedes(keys[$1]) }
            break
        }
        var result: [RunLumiRanges] = []
        var ranges: [[Int]] = []
        var current = keys[ids[0]]
        var first = current.lumi
        for id in ids.dropFirst() {
            let key = keys[id]
            if key.run == current.run && key.lumi <= current.lumi + 1 {
                current.lumi = key.lumi  // the next lumi (or the same one again)
                continue
            }
            ranges.append([first, current.lumi])
            if key.run != current.run {
                result.append(RunLumiRanges(run: current.run, ranges: ranges))
                ranges = []
            }
            current = key
            first = key.lumi
        }
        ranges.append([first, current.lumi])
        result.append(RunLumiRanges(run: current.run, ranges: ranges))
        return result
    }
}
