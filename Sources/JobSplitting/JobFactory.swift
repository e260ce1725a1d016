import Foundation

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
        addJob(SplitJob(inputFiles: files, creationFailure: failure))
    }

    /// Adds a job the caller filled in (as `newJob` followed by edits of `currentJob` would, without
    /// going through the groups for every field); Production jobs get `FirstRun = LastRun = 1`.
    @inline(__always)  // inlined, the caller's freshly built job moves into the group instead of being copied
    mutating func addJob(_ job: consuming SplitJob) {
        if subscriptionType == .production {
            job.mask.firstRun = 1
            job.mask.lastRun = 1
        }
        groups[currentGroupIndex].jobs.append(consume job)
        currentJobPath = (currentGroupIndex, groups[currentGroupIndex].jobs.count - 1)
        jobCount += 1
    }

    /// Makes room for `count` more jobs in the current group (when the algorithm knows how many).
    mutating func reserveJobs(_ count: Int) {
        groups[currentGroupIndex].jobs.reserveCapacity(groups[currentGroupIndex].jobs.count + count)
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
    // Usually every file is at the same place: share the caller's array rather than copy (and later release)
    // every file, which touches each file's storage once more.
    if !trustSiteLists && allShareFirstLocations(files) { return [(locationKey(files[0].locations), files)] }
    let groups = groupIndicesByLocation(files, trustSiteLists: trustSiteLists)
    return groups.map { entry in (entry.locations, entry.indices.map { files[$0] }) }
}

/// `groupByLocation` as positions in `files`, so no file is copied.
func groupIndicesByLocation(_ files: [SplitFile], trustSiteLists: Bool) -> [(locations: [String], indices: [Int])] {
    if trustSiteLists { return files.isEmpty ? [] : [(["AAA"], Array(files.indices))] }
    if allShareFirstLocations(files) { return [(locationKey(files[0].locations), Array(files.indices))] }
    var order: [[String]] = []
    var indexByKey: [String: Int] = [:]
    var grouped: [[Int]] = []
    // Neighbouring files usually share their locations: reuse the last group without hashing.
    var lastLocations: [String]? = nil
    var lastGroup = 0
    for (position, file) in files.enumerated() {
        let raw = file.locations
        if let last = lastLocations, last == raw {
            grouped[lastGroup].append(position)
            continue
        }
        let locations = locationKey(raw)
        let key = locations.count == 1 ? locations[0] : locations.joined(separator: "\u{0}")
        if let g = indexByKey[key] {
            lastGroup = g
            grouped[g].append(position)
        } else {
            lastGroup = grouped.count
            indexByKey[key] = grouped.count
            order.append(locations)
            grouped.append([position])
            if lastGroup == 0 { grouped[0].reserveCapacity(files.count) }  // the common single-location case
        }
        lastLocations = raw
    }
    return zip(order, grouped).map { ($0, $1) }
}

/// Whether there are files and all list exactly the first file's locations (so they form one location group).
func allShareFirstLocations(_ files: [SplitFile]) -> Bool {
    guard let first = files.first else { return false }
    let locations = first.locations
    for f in files.dropFirst() where !f.hasLocations(locations) { return false }
    return true
}

/// A location set as a sorted list of distinct PNNs (WMCore's `frozenset(locations)`).
func locationKey(_ locations: [String]) -> [String] {
    if locations.count <= 1 { return locations }
    return Array(Set(locations)).sorted()
}

/// Files in LFN order (Python compares strings by code point, i.e. by UTF-8 bytes).
func sortedByLFN(_ files: [SplitFile]) -> [SplitFile] {
    sortedIndicesByLFN(files, Array(files.indices)).map { files[$0] }
}

/// The positions `indices` of `files`, ordered by LFN (stable); no file is copied.
func sortedIndicesByLFN(_ files: [SplitFile], _ indices: [Int]) -> [Int] {
    // Inputs usually come in LFN order already: check that first, without copying keys.
    var alreadySorted = true
    for i in indices.indices.dropFirst() where utf8Precedes(files[indices[i]].lfn, files[indices[i - 1]].lfn) {
        alreadySorted = false
        break
    }
    if alreadySorted { return indices }
    return utf8SortedIndices(indices.map { files[$0].lfn }).map { indices[$0] }
}

/// The positions of `strings` in byte-wise (code point) order, equal strings by position (a stable sort).
///
/// The strings' UTF-8 is copied once into one buffer, so a comparison is a `memcmp` with no reference
/// counting (sorting 100,000 LFNs as `String`s spent most of its time retaining and releasing them).
public func utf8SortedIndices(_ strings: [String]) -> [Int] {
    var offsets = [Int]()
    offsets.reserveCapacity(strings.count + 1)
    var bytes = [UInt8]()
    bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count })
    offsets.append(0)
    for string in strings {
        bytes.append(contentsOf: string.utf8)
        offsets.append(bytes.count)
    }
    var order = Array(strings.indices)
    bytes.withUnsafeBufferPointer { buffer in
        offsets.withUnsafeBufferPointer { offsets in
            let base = buffer.baseAddress
            order.sort { a, b in
                let lengthA = offsets[a + 1] - offsets[a], lengthB = offsets[b + 1] - offsets[b]
                let common = min(lengthA, lengthB)
                if common > 0, let base {
                    let c = memcmp(base + offsets[a], base + offsets[b], common)
                    if c != 0 { return c < 0 }
                }
                return lengthA != lengthB ? lengthA < lengthB : a < b
            }
        }
    }
    return order
}

/// Byte-wise (code point) order of two strings, comparing contiguous UTF-8 storage with `memcmp`.
@inline(__always)
public func utf8Precedes(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Bool in
            let n = min(x.count, y.count)
            if n > 0, let px = x.baseAddress, let py = y.baseAddress {
                let c = memcmp(px, py, n)
                if c != 0 { return c < 0 }
            }
            return x.count < y.count
        }
    }
    return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
}
