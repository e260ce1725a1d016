extension Tier0Splitting {
    /// T0's `Repack`: streamers of a run/stream fileset into repack jobs (§A.6 "Repack").
    ///
    /// The lumi walk decides which pending lumis are defined and whether with force. A lumi over
    /// `maxSizeSingleLumi` or `maxInputEvents` is repacked alone, split first-fit under both limits (not under
    /// `maxInputFiles`), with a split-lumi record when it took more than one job; smaller lumis are packed in order
    /// under `maxSizeMultiLumi`, `maxInputEvents` and `maxInputFiles` (a job's first lumi is always taken), and the
    /// last job is emitted only with force. A job needing more than 8 cores fails its streamers instead.
    /// Every file must have exactly one lumi.
    public static func repack(_ input: Tier0SplitInput, _ parameters: RepackParameters) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: true)
        try parameters.validate()
        var outcome = Tier0SplitOutcome()
        guard let run = input.files.first?.run else { return outcome }
        Tier0LumiWalk.walk(dataLumis: Tier0InputCheck.byLumi(input.files), usedLumis: input.usedLumis, now: input.now,
                           maxLatency: parameters.maxLatency, filesetClosed: input.filesetClosed) { pending, force in
            defineRepackJobs(pending, force: force, run: run, parameters, into: &outcome)
        }
        return outcome
    }

    /// Repack's `defineJobs` over the pending lumis.
    static func defineRepackJobs(_ pending: [Tier0PendingLumi], force: Bool, run: Int, _ parameters: RepackParameters,
                                 into outcome: inout Tier0SplitOutcome) {
        var job: [Tier0File] = []
        var jobSize = 0
        var jobEvents = 0
        for (lumi, files) in pending.map({ ($0.lumi, $0.files) }) where !files.isEmpty {
            let lumiSize = files.totalSize
            let lumiEvents = files.totalEvents
            if lumiSize > parameters.maxSizeSingleLumi || lumiEvents > parameters.maxInputEvents {
                if !job.isEmpty { makeRepackJob(job, size: jobSize, into: &outcome) }
                (job, jobSize, jobEvents) = ([], 0, 0)
                let groups = Tier0FirstFit.split(files) { size, events in
                    size <= parameters.maxSizeSingleLumi && events <= parameters.maxInputEvents
                }
                for group in groups { makeRepackJob(group, size: group.totalSize, into: &outcome) }
                if groups.count > 1 { outcome.splitLumis.append(Tier0SplitLumi(run: run, lumi: lumi, nfiles: files.count)) }
                continue
            }
            let newSize = SaturatingArithmetic.add(jobSize, lumiSize)
            let newEvents = SaturatingArithmetic.add(jobEvents, lumiEvents)
            if job.isEmpty || (newSize <= parameters.maxSizeMultiLumi && newEvents <= parameters.maxInputEvents
                               && job.count + files.count <= parameters.maxInputFiles) {
                job += files
                (jobSize, jobEvents) = (newSize, newEvents)
            } else {
                makeRepackJob(job, size: jobSize, into: &outcome)
                (job, jobSize, jobEvents) = (files, lumiSize, lumiEvents)
            }
        }
        if !job.isEmpty && force { makeRepackJob(job, size: jobSize, into: &outcome) }
    }

    /// Repack's `createJob`: cores = 1 + ⌊size/20e9⌋ (more than 8: the streamers fail, no job);
    /// time = 300 s + size/1.5 MB/s (repack) + 2·size/5 MB/s (checksum and stage-out).
    static func makeRepackJob(_ files: [Tier0File], size: Int, into outcome: inout Tier0SplitOutcome) {
        let cores = Tier0Cores.forDiskUse(size)
        guard cores <= Tier0Cores.maximum else {
            outcome.failedFiles += files.map { Tier0FailedFile(lfn: $0.lfn, reason: .tooManyCores(cores: cores, size: size)) }
            return
        }
        let bytes = Double(size)
        outcome.jobs.append(Tier0Job(files: files, estimatedTime: 300 + bytes / 1_500_000 + bytes * 2 / 5_000_000, cores: cores))
    }
}
