import Foundation

/// WMCore's spec defaults for job splitting (StdBase and the StdSpecs), §7 "Spec defaults".
public enum SplittingDefaults {
    /// Target job length in seconds used to derive events per job from TimePerEvent.
    public static let targetJobSeconds = 43200.0
    /// Lumis per job of LumiBased processing when the request gives none.
    public static let lumisPerJob = 8
    /// Files per job of FileBased processing when the request gives none.
    public static let filesPerJob = 10
    /// Merge limits: min 2 GiB, max 4 GiB, 1e8 events, wait 86400 s.
    public static let minMergeSize = 2_147_483_648
    /// Largest merged file in bytes.
    public static let maxMergeSize = 4_294_967_296
    /// Most events in a merged file.
    public static let maxMergeEvents = 100_000_000
    /// Longest a file waits to be merged, seconds.
    public static let maxMergeWait = 86400
    /// Files per Cleanup job (SiblingProcessingBased).
    public static let cleanupFilesPerJob = 50
    /// Files per LogCollect job (MinFileBased).
    public static let logCollectFilesPerJob = 500

    /// WMCore `StdBase.calcEvtsPerJobLumi`: events per job and per lumi from what the request gives.
    ///
    /// Both given: events per job rounded up to a multiple of events per lumi. Only events per job: lumis the same
    /// size. Only events per lumi: `int(43200 / TimePerEvent)` rounded up to a multiple of it. Neither: both
    /// `int(43200 / TimePerEvent)`. With a requested event count, neither exceeds it.
    public static func eventsPerJobAndLumi(eventsPerJob: Int?, eventsPerLumi: Int?, timePerEvent: Double,
                                           requestedEvents: Int? = nil) -> (perJob: Int, perLumi: Int) {
        let fromTime = max(1, Int(targetJobSeconds / max(timePerEvent, 1e-9)))
        var perJob: Int
        var perLumi: Int
        switch (eventsPerJob, eventsPerLumi) {
        case let (job?, lumi?):
            perLumi = lumi
            perJob = lumi * Int((Double(job) / Double(lumi)).rounded(.up))
        case let (job?, nil):
            perJob = job
            perLumi = job
        case let (nil, lumi?):
            perLumi = lumi
            perJob = lumi * Int((Double(fromTime) / Double(lumi)).rounded(.up))
        case (nil, nil):
            perJob = fromTime
            perLumi = fromTime
        }
        if let requested = requestedEvents, requested > 0 {
            perJob = min(perJob, requested)
            perLumi = min(perLumi, perJob)
        }
        return (perJob, perLumi)
    }

    /// The splitting of a Production (generator) task: EventBased with `events_per_job`/`events_per_lumi`, and
    /// `lheInputFiles` from `LheInputFiles` as WMCore's StdBase sets it (the splitter puts it in every job's baggage).
    public static func production(_ item: RequestArguments, top: RequestArguments, events: Int) -> SplittingSpec {
        let tpe = item.inheriting("TimePerEvent", from: top)?.doubleValue ?? 12
        let sizes = eventsPerJobAndLumi(eventsPerJob: item.inheriting("EventsPerJob", from: top)?.intValue,
                                        eventsPerLumi: item.inheriting("EventsPerLumi", from: top)?.intValue,
                                        timePerEvent: tpe, requestedEvents: events)
        return SplittingSpec(algorithm: "EventBased", parameters: ["events_per_job": .int(sizes.perJob),
                                                                    "events_per_lumi": .int(sizes.perLumi),
                                                                    "lheInputFiles": .bool(item.inheriting("LheInputFiles", from: top)?.boolValue ?? false)])
    }

    /// The splitting of a Processing task: the request's `SplittingAlgo` (default LumiBased) with its parameters,
    /// events per job defaulting to `int(43200 / TimePerEvent)`.
    public static func processing(_ item: RequestArguments, top: RequestArguments) -> SplittingSpec {
        let algorithm = item.inheriting("SplittingAlgo", from: top)?.stringValue ?? "LumiBased"
        let tpe = item.inheriting("TimePerEvent", from: top)?.doubleValue ?? 12
        let eventsPerJob = item.inheriting("EventsPerJob", from: top)?.intValue
            ?? max(1, Int(targetJobSeconds / max(tpe, 1e-9)))
        switch algorithm {
        case "LumiBased":
            return SplittingSpec(algorithm: algorithm, parameters: [
                "lumis_per_job": .int(item.inheriting("LumisPerJob", from: top)?.intValue ?? lumisPerJob)])
        case "EventAwareLumiBased", "EventAwareLumiByWork":
            return SplittingSpec(algorithm: algorithm, parameters: ["events_per_job": .int(eventsPerJob),
                                                                    "job_time_limit": .int(172800)])
        case "EventBased":
            return SplittingSpec(algorithm: algorithm, parameters: [
                "events_per_job": .int(eventsPerJob),
                "events_per_lumi": .int(item.inheriting("EventsPerLumi", from: top)?.intValue ?? eventsPerJob)])
        case "FileBased":
            return SplittingSpec(algorithm: algorithm, parameters: [
                "files_per_job": .int(item.inheriting("FilesPerJob", from: top)?.intValue ?? filesPerJob)])
        default:
            return SplittingSpec(algorithm: algorithm)
        }
    }

    /// Merge splitting: WMBSMergeBySize under an EventBased non-Production parent, else ParentlessMergeBySize;
    /// limits from the assignment (`MinMergeSize`, `MaxMergeSize`, `MaxMergeEvents`) or the defaults.
    public static func merge(parent: WorkloadTask, assignment: RequestArguments?) -> SplittingSpec {
        let algorithm = parent.splitting.algorithm == "EventBased" && parent.type != .production
            ? "WMBSMergeBySize" : "ParentlessMergeBySize"
        return SplittingSpec(algorithm: algorithm, parameters: mergeLimits(assignment))
    }

    /// Merge parameters: the assignment's `MinMergeSize`, `MaxMergeSize`, `MaxMergeEvents`, else the defaults.
    public static func mergeLimits(_ assignment: RequestArguments?) -> [String: JSONValue] {
        ["min_merge_size": .int(assignment?.int("MinMergeSize") ?? minMergeSize),
         "max_merge_size": .int(assignment?.int("MaxMergeSize") ?? maxMergeSize),
         "max_merge_events": .int(assignment?.int("MaxMergeEvents") ?? maxMergeEvents),
         "max_wait_time": .int(maxMergeWait)]
    }

    /// Cleanup splitting: SiblingProcessingBased, 50 files per job.
    public static let cleanup = SplittingSpec(algorithm: "SiblingProcessingBased",
                                              parameters: ["files_per_job": .int(cleanupFilesPerJob)])
    /// LogCollect splitting: MinFileBased, 500 files per job.
    public static let logCollect = SplittingSpec(algorithm: "MinFileBased",
                                                 parameters: ["files_per_job": .int(logCollectFilesPerJob)])

    /// Harvest splitting with the request's `DQMHarvestUnit` and `PeriodicHarvestInterval` (seconds between periodic
    /// harvests; 0, the default, harvests once at end of run), as StdBase's `setupHarvesting` passes them. The
    /// validator keeps the interval within 0...10^15.
    public static func harvest(_ top: RequestArguments) -> SplittingSpec {
        SplittingSpec(algorithm: "Harvest", parameters: [
            "periodic_harvest_interval": .int(top.int("PeriodicHarvestInterval") ?? 0),
            "dqmHarvestUnit": .string(top.string("DQMHarvestUnit") ?? "byRun")])
    }
}
