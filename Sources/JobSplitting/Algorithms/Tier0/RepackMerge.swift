extension Tier0Splitting {
    /// T0's `RepackMerge`: unmerged repack output into merge jobs (§A.6 "RepackMerge").
    ///
    /// Lumis in `activeSplitLumis` are left out of each file (T0's query drops their rows); a file left with no lumi
    /// waits. Each file is keyed by its first remaining lumi, and every lumi up to its last remaining one counts as
    /// holding data in the lumi walk. Per lumi: over `maxEdmSize` → split first-fit under it into `-Error` dataset
    /// jobs; over `maxInputSize`, `maxInputEvents` or `maxInputFiles` → merged alone; fits → added; otherwise the
    /// `minInputSize` and `maxOverSize` rules. Leftovers are emitted only with force. `maxOverSize` is used as at most
    /// `maxEdmSize`, as T0 does.
    ///
    /// Estimates follow T0's quirks: an Error-dataset job's estimates use its event count as its size, and a job
    /// closed by the `maxOverSize` rule uses its size before the last lumi was added. Throws
    /// `Tier0SplitError.mergeNeedsTooManyCores` (and defines nothing) when a job would need more than 8 cores
    /// (1 + ⌊(size + largest file)/20e9⌋), where T0 raises.
    public static func repackMerge(_ input: Tier0SplitInput, _ parameters: RepackMergeParameters) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: false)
        try parameters.validate()
        var limits = parameters
        limits.maxOverSize = min(limits.maxOverSize, limits.maxEdmSize)
        var dataLumis: [Int: [Tier0File]] = [:]
        var spans: [ClosedRange<Int>] = []
        for file in input.files {
            let lumis = file.lumis.filter { !input.activeSplitLumis.contains($0) }
            guard let first = lumis.first, let last = lumis.last else { continue }
            dataLumis[first, default: []].append(file)
            spans.append(first...last)
        }
        var outcome = Tier0SplitOutcome()
        try Tier0LumiWalk.walk(dataLumis: dataLumis, coverage: Tier0LumiCoverage(spans), usedLumis: input.usedLumis,
                               now: input.now, maxLatency: limits.maxLatency, filesetClosed: input.filesetClosed) { pending, force in
            try defineRepackMergeJobs(pending, force: force, limits, into: &outcome)
        }
        return outcome
    }

    /// RepackMerge's `defineJobs` over the pending lumis.
    static func defineRepackMergeJobs(_ pending: [Tier0PendingLumi], force: Bool, _ limits: RepackMergeParameters,
                                      into outcome: inout Tier0SplitOutcome) throws {
        var job: [Tier0File] = []
        var jobSize = 0
        var jobEvents = 0
        func emitCurrent() throws {
            if !job.isEmpty { try makeRepackMergeJob(job, size: jobSize, into: &outcome) }
            (job, jobSize, jobEvents) = ([], 0, 0)
        }
        for files in pending.map(\.files) where !files.isEmpty {
            let lumiSize = files.totalSize
            let lumiEvents = files.totalEvents
            if lumiSize > limits.maxEdmSize {
                try emitCurrent()
                for group in Tier0FirstFit.split(files, fits: { size, _ in size <= limits.maxEdmSize }) {
                    try makeRepackMergeJob(group, size: group.totalEvents, useErrorDataset: true, into: &outcome)
                }
            } else if lumiSize > limits.maxInputSize || lumiEvents > limits.maxInputEvents || files.count > limits.maxInputFiles {
                try emitCurrent()
                try makeRepackMergeJob(files, size: lumiSize, into: &outcome)
            } else {
                let newSize = SaturatingArithmetic.add(jobSize, lumiSize)
                let newEvents = SaturatingArithmetic.add(jobEvents, lumiEvents)
                if newSize <= limits.maxInputSize && newEvents <= limits.maxInputEvents
                    && job.count + files.count <= limits.maxInputFiles {
                    job += files
                    (jobSize, jobEvents) = (newSize, newEvents)
                } else if jobSize > limits.minInputSize || newSize > limits.maxOverSize {
                    // big enough without the lumi (a regular merge), or too big with it (a too-small merge)
                    try makeRepackMergeJob(job, size: jobSize, into: &outcome)
                    (job, jobSize, jobEvents) = (files, lumiSize, lumiEvents)
                } else {
                    // below the minimum without the lumi and within maxOverSize with it: one too-large merge
                    job += files
                    try makeRepackMergeJob(job, size: jobSize, into: &outcome)  // T0 passes the size before the add
                    (job, jobSize, jobEvents) = ([], 0, 0)
                }
            }
        }
        if !job.isEmpty && force { try makeRepackMergeJob(job, size: jobSize, into: &outcome) }
    }

    /// RepackMerge's `createJob`: cores = 1 + ⌊(`size` + largest file)/20e9⌋, time = 300 s + 3·`size`/5 MB/s,
    /// with `size` as T0 passes it (see `repackMerge`).
    static func makeRepackMergeJob(_ files: [Tier0File], size: Int, useErrorDataset: Bool = false,
                                   into outcome: inout Tier0SplitOutcome) throws {
        let largest = files.map(\.size).max() ?? 0
        let cores = Tier0Cores.forDiskUse(SaturatingArithmetic.add(size, largest))
        guard cores <= Tier0Cores.maximum else {
            throw Tier0SplitError.mergeNeedsTooManyCores(cores: cores, firstFile: files.first?.lfn ?? "")
        }
        outcome.jobs.append(Tier0Job(files: files, estimatedTime: 300 + Double(size) * 3 / 5_000_000, cores: cores,
                                     useErrorDataset: useErrorDataset))
    }
}
