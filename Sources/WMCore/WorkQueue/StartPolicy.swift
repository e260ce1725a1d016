import Foundation
import JobSplitting

/// The work-queue start policies.
public enum StartPolicy: String, Codable, CaseIterable, Sendable {
    /// Slices generation by events.
    case monteCarlo = "MonteCarlo"
    /// One element per input block.
    case block = "Block"
    /// One element for the whole dataset (DQMHarvest).
    case dataset = "Dataset"
    /// Elements from an ACDC record (Resubmission).
    case resubmitBlock = "ResubmitBlock"

    /// The policy of a top-level task.
    public static func of(_ task: WorkloadTask, requestType: RequestType) -> StartPolicy {
        switch task.input {
        case .generator: return .monteCarlo
        case .acdc: return .resubmitBlock
        case .dataset: return requestType == .dqmHarvest ? .dataset : .block
        case .taskOutput, .tier0Streamers, .tier0Dataset: return .block   // never split by the queue (no element)
        }
    }
}

/// What a start policy counts to size elements (WorkQueue `setWorkQueueSplitPolicy`).
public enum SliceType: String, Codable, Sendable {
    case numberOfFiles = "NumberOfFiles"
    case numberOfEvents = "NumberOfEvents"
    case numberOfLumis = "NumberOfLumis"
    case numberOfRuns = "NumberOfRuns"

    /// The slice type and slice size implied by a task's splitting: FileBased → files (`files_per_job`),
    /// EventBased and EventAwareLumiBased → events (`events_per_job`), LumiBased → lumis (`lumis_per_job`),
    /// Harvest → runs (1), anything else → files (`files_per_job`, else 1).
    public static func of(_ splitting: SplittingSpec) -> (type: SliceType, size: Int) {
        switch splitting.algorithm {
        case "FileBased": return (.numberOfFiles, max(1, splitting.int("files_per_job") ?? SplittingDefaults.filesPerJob))
        case "EventBased", "EventAwareLumiBased", "EventAwareLumiByWork":
            return (.numberOfEvents, max(1, splitting.int("events_per_job") ?? 1000))
        case "LumiBased": return (.numberOfLumis, max(1, splitting.int("lumis_per_job") ?? 1))
        case "Harvest": return (.numberOfRuns, 1)
        default: return (.numberOfFiles, max(1, splitting.int("files_per_job") ?? 1))
        }
    }

    /// The one of the four counts this slice type counts.
    public func count(files: Int, events: Int, lumis: Int, runs: Int) -> Int {
        switch self {
        case .numberOfFiles: return files
        case .numberOfEvents: return events
        case .numberOfLumis: return lumis
        case .numberOfRuns: return runs
        }
    }

    /// Jobs for `count` units in slices of `size`: `max(1, ceil(count / size))`.
    public static func jobs(count: Int, size: Int) -> Int { max(1, (count + size - 1) / max(1, size)) }
}

/// Why a start policy could not split a task. Each is final for the request (WorkQueue's `WorkQueueNoWorkError`
/// and `WorkQueueWMSpecError`): the global queue moves it to `failed` with this text as the reason.
public enum StartPolicyError: Error, Equatable, CustomStringConvertible {
    /// The input dataset is not in the catalog.
    case unknownDataset(task: String, dataset: String)
    /// Nothing is left of the input dataset; `why` names the list or check that emptied it.
    case noInputLeft(task: String, dataset: String, why: EmptySelection)
    /// A MonteCarlo element would exceed `MaxLumisPerElement`.
    case tooManyLumis(task: String, lumis: Int, maximum: Int)
    /// A generator task with no events to make.
    case noEvents(task: String)
    /// ResubmitBlock cannot resubmit this splitting algorithm.
    case unsupportedACDCAlgorithm(task: String, algorithm: String)
    /// A Resubmission needs an ACDC record for its initial task.
    case missingACDC(task: String)
    /// The ACDC record of a Resubmission holds no file: nothing to resubmit.
    case emptyACDC(task: String, workflow: String)
    /// The task would make more jobs than the agent's ceiling (`workQueue.maxJobsPerTask`); `field` and `value` name
    /// what makes them (`RequestNumEvents` and the events at events per job, or `InputDataset`).
    case tooManyJobs(task: String, field: String, value: String, jobs: Int, maximum: Int)
    /// A generator task's lumis would run past the last lumi number CMSSW has (4,294,967,295).
    case lumiNumbersExhausted(task: String, firstLumi: Int, lumis: Int)

    public var description: String {
        switch self {
        case let .unknownDataset(task, dataset): return "task \(task) field InputDataset '\(dataset)': not in the catalog"
        case let .noInputLeft(task, dataset, why):
            return "task \(task) input dataset \(dataset): no work: \(why)"
        case let .tooManyLumis(task, lumis, maximum):
            return "task \(task): element of \(lumis) lumis; expected at most MaxLumisPerElement = \(maximum)"
        case .noEvents(let task): return "task \(task) field RequestNumEvents: expected more than 0 events"
        case let .unsupportedACDCAlgorithm(task, algorithm):
            return "task \(task) splitting '\(algorithm)': ResubmitBlock rejects WMBSMergeBySize and SiblingProcessingBased"
        case .missingACDC(let task): return "task \(task): no work: no ACDC record to resubmit"
        case let .emptyACDC(task, workflow): return "task \(task) input ACDC record of \(workflow): no work: the record holds no file"
        case let .lumiNumbersExhausted(task, firstLumi, lumis):
            return "task \(task) field EventsPerLumi: \(lumis) lumis from FirstLumi \(firstLumi) run past lumi 4294967295; "
                + "expected more events per lumi or fewer events"
        case let .tooManyJobs(task, field, value, jobs, maximum):
            return "task \(task) field \(field) \(value): expected \(JobCeiling.expectation(jobs: jobs, maximum: maximum))"
        }
    }
}

/// What every element of one request shares: request name, priority, team, site lists, DBS, time.
public struct ElementContext: Hashable, Sendable {
    /// The request.
    public var requestName: String
    /// Priority given to the elements.
    public var priority: Int
    /// Team.
    public var teamName: String
    /// Allowed sites.
    public var siteWhitelist: [String]
    /// Forbidden sites.
    public var siteBlacklist: [String]
    /// Whether site lists are trusted over data location.
    public var trustSitelists: Bool
    /// Catalog URL.
    public var dbs: String
    /// Creation time of the elements.
    public var creationTime: Double
    /// The request's validation-sample ask, if any.
    public var validationSample: ValidationSampleRequest?
    /// True when the input may still grow (`OpenRunningTimeout` > 0): Block elements stay open for new data (`OpenRunning`).
    public var openForNewData: Bool

    /// Makes a context.
    public init(requestName: String, priority: Int, teamName: String = "", siteWhitelist: [String] = [],
                siteBlacklist: [String] = [], trustSitelists: Bool = false, dbs: String = "", creationTime: Double,
                validationSample: ValidationSampleRequest? = nil, openForNewData: Bool = false) {
        self.requestName = requestName
        self.priority = priority
        self.teamName = teamName
        self.siteWhitelist = siteWhitelist
        self.siteBlacklist = siteBlacklist
        self.trustSitelists = trustSitelists
        self.dbs = dbs
        self.creationTime = creationTime
        self.validationSample = validationSample
        self.openForNewData = openForNewData
    }

    /// The context of a request document: effective priority, the assignment's team and site lists (or the
    /// create arguments' when not assigned), the validation sample and whether the input stays open.
    public init(request: RequestBody, at time: Double) {
        let lists = request.assignment ?? request.arguments
        self.init(requestName: request.name, priority: request.effectivePriority, teamName: request.team,
                  siteWhitelist: lists.siteWhitelist, siteBlacklist: lists.siteBlacklist,
                  trustSitelists: lists.trustSitelists || request.arguments.trustSitelists,
                  dbs: request.arguments.string("DbsUrl") ?? "", creationTime: time,
                  validationSample: request.arguments.validationSample,
                  openForNewData: OpenRunning.timeout(of: request.arguments) > 0)
    }

    /// An Available element of this request.
    public func element(task: WorkloadTask, policy: StartPolicy, inputs: [String: [String]] = [:], mask: JobMask? = nil,
                        jobs: Int, events: Int, lumis: Int, files: Int, acdc: ACDCReference? = nil) -> ElementBody {
        ElementBody(requestName: requestName, taskName: task.path, startPolicy: policy.rawValue, inputs: inputs, mask: mask,
                    jobs: jobs, numberOfEvents: events, numberOfLumis: lumis, numberOfFiles: files, priority: priority,
                    creationTime: creationTime, siteWhitelist: siteWhitelist, siteBlacklist: siteBlacklist,
                    trustSitelists: trustSitelists, teamName: teamName, dbs: dbs, acdc: acdc,
                    openForNewData: openForNewData && policy == .block)
    }

    /// The sites an input is at: the site whitelist when site lists are trusted, else the storage locations mapped
    /// to sites (PNN → PSN), else `NoInitialSite` as WorkQueue records.
    public func sites(for locations: [String]) -> [String] {
        if trustSitelists { return siteWhitelist.sorted() }
        let sites = Set(locations.map(SiteMapping.psn(ofPNN:)))
        return sites.isEmpty ? ["NoInitialSite"] : sites.sorted()
    }
}

/// Storage (PNN) to processing (PSN) site names.
public enum SiteMapping {
    /// The processing site of a storage node: the PNN less a `_Disk`, `_MSS`, `_Tape`, `_Buffer` or `_Export` suffix.
    public static func psn(ofPNN pnn: String) -> String {
        for suffix in ["_ECHO_Disk", "_Disk", "_MSS", "_Tape", "_Buffer", "_Export"] where pnn.hasSuffix(suffix) {
            return String(pnn.dropLast(suffix.count))
        }
        return pnn
    }
}
