import Foundation

/// The splitting algorithms, named as WMCore's `split_algo` values.
public enum SplittingAlgorithm: String, CaseIterable, Codable, Sendable {
    /// Fixed number of events per job (MC fake file or real files).
    case eventBased = "EventBased"
    /// Fixed number of files per job, files in LFN order.
    case fileBased = "FileBased"
    /// FileBased that only makes full jobs while the fileset is open.
    case minFileBased = "MinFileBased"
    /// Fixed number of lumi sections per job.
    case lumiBased = "LumiBased"
    /// Lumi-based jobs sized to a target event count.
    case eventAwareLumiBased = "EventAwareLumiBased"
    /// Lumi-by-lumi packing to a target event count.
    case eventAwareLumiByWork = "EventAwareLumiByWork"
    /// Packs files up to a total size.
    case sizeBased = "SizeBased"
    /// Groups files by their lowest run.
    case runBased = "RunBased"
    /// Simple merge once the accumulated size reaches `merge_size`.
    case mergeBySize = "MergeBySize"
    /// WMBS merge that ignores parentage (min/max size, max events, max wait).
    case parentlessMergeBySize = "ParentlessMergeBySize"
    /// WMBS merge honouring parent files whose jobs all succeeded.
    case wmbsMergeBySize = "WMBSMergeBySize"
    /// Runs over files once all sibling subscriptions completed them (cleanup, log collect).
    case siblingProcessingBased = "SiblingProcessingBased"
    /// DQM harvesting (periodic or end of run).
    case harvest = "Harvest"
}

/// A WMBS subscription type.
public enum SubscriptionType: String, Codable, Sendable, CaseIterable {
    /// Monte Carlo production (every job gets run 1).
    case production = "Production"
    /// Processing of existing data.
    case processing = "Processing"
    /// Merging unmerged output.
    case merge = "Merge"
    /// DQM harvesting.
    case harvesting = "Harvesting"
    /// Cleanup of unmerged files.
    case cleanup = "Cleanup"
    /// Log collection.
    case logCollect = "LogCollect"
    /// Skimming.
    case skim = "Skim"
    /// Tier-0 express.
    case express = "Express"
    /// Tier-0 repack.
    case repack = "Repack"
}

/// What an algorithm knows about the subscription beyond its files and kwargs (WMBS state WMCore reads by DAO).
public struct SplitContext: Sendable {
    /// The subscription type (`Production` forces `FirstRun = LastRun = 1`).
    public var subscriptionType: SubscriptionType
    /// Whether the input fileset is closed (no more files will come).
    public var filesetClosed: Bool
    /// Whether the workflow is fully injected (merges force only when closed *and* injected).
    public var workflowInjected: Bool
    /// The current time, seconds since the epoch (merge ages, harvest periods).
    public var now: Double
    /// `trustSitelists`: ignore file locations, everything is one location group `AAA`.
    public var trustSiteLists: Bool
    /// WMBSMergeBySize: parent LFNs whose jobs all succeeded; `nil` means every parent succeeded.
    public var succeededParentLFNs: Set<String>?
    /// SiblingProcessingBased: LFNs completed by all sibling subscriptions; `nil` means all files.
    public var siblingCompletedLFNs: Set<String>?
    /// SiblingProcessingBased: LFNs some sibling subscription failed (failed here too on close).
    public var siblingFailedLFNs: Set<String>
    /// Harvest: when the latest harvest job of this subscription finished; `nil` if there never was one.
    public var lastHarvestJobFinished: Double?
    /// Harvest: whether a harvest job of this subscription is still running (its files acquired).
    public var harvestJobsInProgress: Bool
    /// Harvest EndOfRun with `periodic_harvest_sibling`: whether the periodic sibling subscription is complete.
    public var periodicSiblingComplete: Bool

    /// Makes a context; defaults describe a closed, injected Processing fileset with nothing pending.
    public init(subscriptionType: SubscriptionType = .processing, filesetClosed: Bool = true,
                workflowInjected: Bool = true, now: Double = Date().timeIntervalSince1970,
                trustSiteLists: Bool = false, succeededParentLFNs: Set<String>? = nil,
                siblingCompletedLFNs: Set<String>? = nil, siblingFailedLFNs: Set<String> = [],
                lastHarvestJobFinished: Double? = nil, harvestJobsInProgress: Bool = false,
                periodicSiblingComplete: Bool = true) {
        self.subscriptionType = subscriptionType
        self.filesetClosed = filesetClosed
        self.workflowInjected = workflowInjected
        self.now = now
        self.trustSiteLists = trustSiteLists
        self.succeededParentLFNs = succeededParentLFNs
        self.siblingCompletedLFNs = siblingCompletedLFNs
        self.siblingFailedLFNs = siblingFailedLFNs
        self.lastHarvestJobFinished = lastHarvestJobFinished
        self.harvestJobsInProgress = harvestJobsInProgress
        self.periodicSiblingComplete = periodicSiblingComplete
    }
}

/// Why a job was created already failed (WMCore `failedOnCreation`).
public struct CreationFailure: Codable, Hashable, Sendable {
    /// The exit code the job is failed with (99305: lumi too large for the job time limit).
    public var code: Int
    /// WMCore's `failedReason`.
    public var reason: String

    /// Makes a failure; the code defaults to 99305.
    public init(code: Int = CreationFailure.lumiTooLargeCode, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// WMCore's exit code for jobs failed at creation because a single lumi exceeds `job_time_limit`.
    public static let lumiTooLargeCode = 99305
}

/// One job as the algorithm creates it (no name: the caller names it `<uuid>-<n>`).
public struct SplitJob: Codable, Hashable, Sendable {
    /// Input files in the order they were added.
    public var inputFiles: [SplitFile]
    /// The part of the inputs the job processes.
    public var mask: JobMask
    /// Estimated wall time (s), or `nil` when the algorithm sets none.
    public var estimatedJobTime: Double?
    /// Estimated disk (kB), or `nil`.
    public var estimatedDiskUsage: Double?
    /// Estimated memory (MB), or `nil`.
    public var estimatedMemoryUsage: Double?
    /// Job baggage parameters (e.g. `lheInputFiles`, `runIsComplete`, `runLimits`).
    public var baggage: [String: ParameterValue]
    /// Set when the job is created already failed (code 99305).
    public var creationFailure: CreationFailure?
    /// A name suffix WMCore puts after the UUID instead of the counter, e.g. `EndOfRun-Harvest-1`.
    public var nameSuffix: String?
    private enum CodingKeys: String, CodingKey {
        case inputFiles, mask, estimatedJobTime, estimatedDiskUsage, estimatedMemoryUsage, baggage, creationFailure, nameSuffix
    }

    /// Makes a job.
    public init(inputFiles: [SplitFile] = [], mask: JobMask = JobMask(), estimatedJobTime: Double? = nil,
                estimatedDiskUsage: Double? = nil, estimatedMemoryUsage: Double? = nil,
                baggage: [String: ParameterValue] = [:], creationFailure: CreationFailure? = nil,
                nameSuffix: String? = nil) {
        self.inputFiles = inputFiles
        self.mask = mask
        self.estimatedJobTime = estimatedJobTime
        self.estimatedDiskUsage = estimatedDiskUsage
        self.estimatedMemoryUsage = estimatedMemoryUsage
        self.baggage = baggage
        self.creationFailure = creationFailure
        self.nameSuffix = nameSuffix
    }

    /// WMCore `Job.addResourceEstimates`: a value that is unset *or zero* is replaced by the argument
    /// (even by `nil`); otherwise a non-nil, non-zero argument is added.
    public mutating func addResourceEstimates(jobTime: Double? = nil, memory: Double? = nil, disk: Double? = nil) {
        Self.accumulate(&estimatedJobTime, jobTime)
        Self.accumulate(&estimatedMemoryUsage, memory)
        Self.accumulate(&estimatedDiskUsage, disk)
    }

    private static func accumulate(_ current: inout Double?, _ value: Double?) {
        if let c = current, c != 0 {
            if let v = value, v != 0 { current = c + v }
        } else {
            current = value
        }
    }

    /// The input LFNs in job order.
    public var inputLFNs: [String] { inputFiles.map(\.lfn) }
}

/// The jobs made for one location set.
public struct SplitJobGroup: Codable, Sendable {
    /// The location set (sorted PNNs; `["AAA"]` with trustSitelists).
    public var locations: [String]
    /// Jobs in creation order.
    public var jobs: [SplitJob]

    /// Makes a group.
    public init(locations: [String], jobs: [SplitJob] = []) {
        self.locations = locations
        self.jobs = jobs
    }
}

/// The result of one splitting call.
public struct SplitOutcome: Sendable {
    /// Job groups in creation order (empty groups are dropped).
    public var groups: [SplitJobGroup]
    /// LFNs the algorithm marks failed (WMBSMergeBySize orphans, SiblingProcessingBased sibling failures).
    public var failedFiles: [String]

    /// Makes an outcome.
    public init(groups: [SplitJobGroup] = [], failedFiles: [String] = []) {
        self.groups = groups
        self.failedFiles = failedFiles
    }

    /// All jobs, group after group.
    public var jobs: [SplitJob] { groups.flatMap(\.jobs) }

    /// For each job (in `jobs` order), the position of each of its input files in `files` (the files given to
    /// `JobSplitter.split`), or nil for a file that is none of them (the MC fake file). A job's file is usually an
    /// unchanged copy of an input, found by its shared storage (no LFN hashed), else the first input with its LFN.
    /// Asked by the job creator only, so splitting alone never pays for it.
    public func inputPositions(in files: [SplitFile]) -> [[Int?]] {
        var positionOf: [ObjectIdentifier: Int] = [:]
        positionOf.reserveCapacity(files.count)
        for (i, file) in files.enumerated() where positionOf[file.sharedStorageIdentity] == nil {
            positionOf[file.sharedStorageIdentity] = i
        }
        var positionOfLFN: [String: Int]?
        func position(of lfn: String) -> Int? {
            if positionOfLFN == nil {
                var byLFN: [String: Int] = [:]
                for (i, file) in files.enumerated() where byLFN[file.lfn] == nil { byLFN[file.lfn] = i }
                positionOfLFN = byLFN
            }
            return positionOfLFN?[lfn]
        }
        return groups.flatMap { group in
            group.jobs.map { job in job.inputFiles.map { file in positionOf[file.sharedStorageIdentity] ?? position(of: file.lfn) } }
        }
    }
}
