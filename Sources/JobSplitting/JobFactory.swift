/// The job and group bookkeeping of WMCore's `JobFactory` (`newGroup`, `newJob`, `currentJob`).
///
/// Jobs are stored in their group as soon as they are created; `currentJob` edits the latest job in place,
/// even after a new group was started (as WMCore's `self.currentJob` does).
struct JobFactory {
    /// Groups made so far.
    private(set) var groups: [SplitJobGroup] = []
    /// LFNs the algorithm fails.
    var failedFiles: [String] = []
    /// The subscription type (Production jobs get run 1).
    let subscriptionType: SubscriptionType
    /// Number of jobs made (WMCore `nJobs`).
    private(set) var jobCount = 0
    private var currentGroupIndex = -1
    private var currentJobPath: (group: Int, job: Int)?

    init(subscriptionType: SubscriptionType) {
        self.subscriptionType = subscriptionType
    }

    /// Starts a new job group for `locations`.
    mutating func newGroup(locations: [String]) {
        groups.append(SplitJobGroup(locations: locations))
        currentGroupIndex = groups.count - 1
    }

    /// Whether a job exists (WMCore `if self.currentJob`).
    var hasCurrentJob: Bool { currentJobPath != nil }

    /// Creates a job in the current group; Production jobs get `FirstRun = LastRun = 1`.
    mutating func newJob(files: [SplitFile] = [], failure: CreationFailure? = nil) {
        var job = SplitJob(inputFiles: files, creationFailure: failure)
        if subscriptionType == .production {
            job.mask.firstRun = 1
            job.mask.lastRun = 1
        }
        groups[currentGroupIndex].jobs.append(job)
        currentJobPath = (currentGroupIndex, groups[currentGroupIndex].jobs.count - 1)
        jobCount += 1
    }

    /// The latest job, edited in place. Only valid once a job exists.
    var currentJob: SplitJob {
        get { groups[currentJobPath!.group].jobs[currentJobPath!.job] }
        _modify { yield &groups[currentJobPath!.group].jobs[currentJobPath!.job] }
    }

    /// Where the current job is stored (for algorithms that later revisit a job).
    var currentJobPosition: (group: Int, job: Int)? { currentJobPath }

    /// Edits a job made earlier.
    mutating func modifyJob(at position: (group: Int, job: Int), _ body: (inout SplitJob) -> Void) {
        body(&groups[position.group].jobs[position.job])
    }

    /// The outcome, without empty groups.
    func outcome() -> SplitOutcome {
        SplitOutcome(groups: groups.filter { !$0.jobs.isEmpty }, failedFiles: failedFiles)
    }
}

/// `JobFactory.sortByLocation`: files grouped by their set of locations, groups in first-seen order.
///
/// With `trustSiteLists` every file goes to the single group `["AAA"]`.
func groupByLocation(_ files: [SplitFile], trustSiteLists: Bool) -> [(locations: [String], files: [SplitFile])] {
    if trustSiteLists { return files.isEmpty ? [] : [(["AAA"], files)] }
    var order: [[String]] = []
    var byKey: [[String]: [SplitFile]] = [:]
    for file in files {
        let key = locationKey(file.locations)
        if byKey[key] == nil { order.append(key) }
        byKey[key, default: []].append(file)
    }
    return order.map { ($0, byKey[$0]!) }
}

/// A location set as a sorted list of distinct PNNs (WMCore's `frozenset(locations)`).
func locationKey(_ locations: [String]) -> [String] {
    if locations.count <= 1 { return locations }
    return Array(Set(locations)).sorted()
}
