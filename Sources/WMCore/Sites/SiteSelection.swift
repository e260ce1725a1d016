/// The agent's exit codes for submission and kills (WMCore `WMExceptions`, §4 and §5 of the reference).
public enum AgentExitCode {
    /// The batch system refused the submission. This project's code, not WMCore's (WMCore reports
    /// plugin submit failures through the plugin's own report).
    public static let submissionRejected = 71100
    /// No candidate site when the job was created.
    public static let noCandidateSite = 71101
    /// Every candidate site is Down or Aborted (or not configured).
    public static let noAvailableSite = 71102
    /// Only Draining sites remain and they have drained for more than two days.
    public static let drainingTooLong = 71103
    /// The job's description is missing.
    public static let missingJobDescription = 71104
    /// The job's description can't be read.
    public static let unreadableJobDescription = 71105
    /// Killed because its only site changed state (other state).
    public static let siteStateChanged = 71300
    /// Killed because its only site is Aborted.
    public static let siteAborted = 71301
    /// Killed because its only site is Draining.
    public static let siteDraining = 71302
    /// Killed because its only site is Down.
    public static let siteDown = 71303
    /// Killed after running too long.
    public static let runningTimeout = 71304
    /// Killed after pending too long.
    public static let pendingTimeout = 71305
    /// Killed after being in error too long.
    public static let errorTimeout = 71306
    /// Killed after too long in another state.
    public static let otherTimeout = 71307
    /// The job finished but left no framework job report.
    public static let noJobReport = 99303
    /// The batch system removed the job (scancel, condor_rm, a limit).
    public static let removedByBatchSystem = 99400
    /// The job failed in the batch system for another reason (lost, launch failure, node failure).
    public static let batchSystemFailure = 99401
    /// The agent lost the job: its document vanished from the spool (removed by hand, or quarantined and never
    /// brought back) before it reached a final state; its work is failed into ACDC (WMSpool's, not WMCore's).
    public static let jobVanished = 99402

    /// The kill code for a job whose only site moved to `state` (changeSiteState).
    public static func siteStateKill(_ state: SiteState) -> Int {
        switch state {
        case .aborted: return siteAborted
        case .draining: return siteDraining
        case .down: return siteDown
        case .normal: return siteStateChanged
        }
    }
}

/// Cores in the batch system per site and per (site, task type), by batch status: a job counts with its
/// cores (a 4-core job takes 4 of a site's pending or running slots), as the slots of a batch system do.
public struct SiteLoad: Sendable, Equatable {
    /// Cores of pending jobs per site.
    public private(set) var pending: [String: Int] = [:]
    /// Cores of running jobs per site.
    public private(set) var running: [String: Int] = [:]
    /// Cores of pending jobs per site and task type (`site|type`).
    public private(set) var taskPending: [String: Int] = [:]
    /// Cores of running jobs per site and task type (`site|type`).
    public private(set) var taskRunning: [String: Int] = [:]

    /// An empty load.
    public init() {}

    /// Counts one job of `cores` cores that is pending (or running) at `site`. Cores are taken within
    /// 1...`Lexicon.maxCores` (job documents are range-checked before submission; this keeps the sums from trapping).
    public mutating func add(site: String, taskType: String, isRunning: Bool, cores: Int = 1) {
        let key = site + "|" + taskType
        let cores = Self.counted(cores)
        if isRunning {
            running[site, default: 0] += cores
            taskRunning[key, default: 0] += cores
        } else {
            pending[site, default: 0] += cores
            taskPending[key, default: 0] += cores
        }
    }

    /// The first blocking condition for one more `taskType` job of `cores` cores at `site`, in WMCore's order, or nil.
    ///
    /// NoPendingSlot, NoTaskPendingSlot, NoRunningSlot (pending + running + cores > pending + running slots),
    /// NoTaskRunningSlot. Each compares the cores already there plus the job's with the slots, so a single-core job
    /// is blocked exactly when the count has reached the slots. A job with more cores than a limit is not blocked by it
    /// while nothing is counted against it, so it is not held back forever where it could never fit.
    public func blockingCondition(site: Site, taskType: String, cores: Int = 1) -> String? {
        let key = site.name + "|" + taskType
        let cores = Self.counted(cores)
        let sitePending = pending[site.name] ?? 0, siteRunning = running[site.name] ?? 0
        let tPending = taskPending[key] ?? 0, tRunning = taskRunning[key] ?? 0
        let task = site.limits(forTaskType: taskType)
        func full(_ used: Int, _ limit: Int) -> Bool { used > 0 ? used + cores > limit : used >= limit }
        if full(sitePending, site.slots.pendingSlots) { return "NoPendingSlot" }
        if full(tPending, task.pendingSlots) { return "NoTaskPendingSlot" }
        if full(sitePending + siteRunning, site.slots.pendingSlots + site.slots.runningSlots) { return "NoRunningSlot" }
        if full(tPending + tRunning, task.pendingSlots + task.runningSlots) { return "NoTaskRunningSlot" }
        return nil
    }

    private static func counted(_ cores: Int) -> Int { min(max(cores, 1), Int(Lexicon.maxCores)) }
}

/// Where a job may go now.
public enum CandidateDecision: Equatable, Sendable {
    /// These sites, in the job's order, may take it.
    case sites([Site])
    /// It must wait (only Draining sites remain for a non-IO job).
    case wait(reason: String)
    /// It can't be submitted: the code and why.
    case fail(code: Int, reason: String)
}

/// The submitter's site choice, as JobSubmitterPoller's cache refresh and `assignJobs` do it.
public enum SiteSelection {
    /// How long Draining sites may hold a non-IO job back before it fails with 71103 (two days).
    public static let drainingGrace: Double = 2 * 86_400

    /// The usable sites among `possibleSites`: Aborted, Down and unknown sites dropped (71102 if none),
    /// Draining dropped for non-IO jobs (wait, or 71103 once every Draining site drained for 2 days). A job that
    /// `needsGPU` keeps only the sites that declare a GPU, and waits (saying so) while none of its sites has one.
    /// `extraRequirement` (the job's `JobExtraMatchRequirements`, with the job's attributes) keeps only the sites where
    /// it evaluates to true; none left, the job waits (in HTCondor it would stay idle), saying why.
    public static func candidates(possibleSites: [String], taskType: String, configuration: SiteConfiguration,
                                  now: Double, needsGPU: Bool = false, gpuRequirements: [String: JSONValue]? = nil,
                                  extraRequirement: MatchRequirement.AtSite? = nil)
        -> CandidateDecision {
        let known = possibleSites.compactMap { configuration.site(named: $0) }
        var alive = known.filter { $0.state != .down && $0.state != .aborted }
        if let (requirement, attributes) = extraRequirement, !alive.isEmpty {
            let matching = alive.filter { requirement.matches(attributes($0)) }
            guard !matching.isEmpty else {
                return .wait(reason: "its JobExtraMatchRequirements \(requirement.text) is true at none of its sites (\(alive.map(\.name).joined(separator: ", ")))")
            }
            alive = matching
        }
        if needsGPU && !alive.isEmpty {
            let withGPU = alive.filter(\.hasGPU)
            guard !withGPU.isEmpty else {
                return .wait(reason: "requires a GPU and none of its sites declares one (\(alive.map(\.name).joined(separator: ", ")); "
                             + "set \"gpus\" on a site in etc/sites.json)")
            }
            alive = withGPU
            if let gpuRequirements {
                let meeting = alive.filter { GPUParameters.unmet(gpuRequirements, at: $0) == nil }
                guard !meeting.isEmpty else {
                    let why = alive.map { "\($0.name) lacks \(GPUParameters.unmet(gpuRequirements, at: $0) ?? "")" }
                    return .wait(reason: "requires a GPU with its GPUParams and no site's GPUs meet them: \(why.joined(separator: "; ")) "
                                 + "(declare gpuMemoryMB, cudaCapabilities, cudaRuntime, gpuName on a site in etc/sites.json)")
                }
                alive = meeting
            }
        }
        guard !alive.isEmpty else {
            let states = possibleSites.map { name in "\(name)=\(configuration.site(named: name)?.state.rawValue ?? "not configured")" }
            return .fail(code: AgentExitCode.noAvailableSite,
                         reason: "no available site: " + (states.isEmpty ? "the job lists no possible site" : states.joined(separator: ", ")))
        }
        if TaskType(rawValue: taskType)?.isIO == true { return .sites(alive) }
        let normal = alive.filter { $0.state == .normal }
        if !normal.isEmpty { return .sites(normal) }
        if alive.allSatisfy({ now - $0.stateTime > drainingGrace }) {
            return .fail(code: AgentExitCode.drainingTooLong,
                         reason: "only Draining sites remain (\(alive.map(\.name).joined(separator: ", "))), draining for more than 2 days")
        }
        return .wait(reason: "only Draining sites remain for a \(taskType) job: \(alive.map(\.name).joined(separator: ", "))")
    }

    /// The first candidate with no blocking condition for a job of `cores` cores (sites whose task pending slots are 0
    /// are skipped).
    public static func choose(from candidates: [Site], taskType: String, cores: Int = 1, load: SiteLoad) -> Site? {
        candidates.first { site in
            site.limits(forTaskType: taskType).pendingSlots > 0
                && load.blockingCondition(site: site, taskType: taskType, cores: cores) == nil
        }
    }
}
