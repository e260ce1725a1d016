extension Tier0Splitting {
    /// T0's `ExpressMerge`: express output of one lumi per file into merge jobs (§A.6 "ExpressMerge"; also the
    /// ALCARECO skim input; T0 passes maxInputSize × 100 for DQM/DQMIO outputs).
    ///
    /// Files of lumis in `activeSplitLumis` wait. The lumis are walked in order, each aged by the newest insert time
    /// among its files: an empty job starts only with a lumi older than `maxLatency`, else the walk stops; with
    /// `maxLatency` 0 every lumi is its own job; a gap in the lumi sequence emits the job and starts anew only with
    /// an old enough lumi (else stops); a lumi is added while files ≤ `maxInputFiles` and size ≤ `maxInputSize` (no
    /// age check), else the job is emitted and the lumi starts a new one. The last job is always emitted.
    /// `usedLumis` and `filesetClosed` are not read. Every file must have exactly one lumi.
    public static func expressMerge(_ input: Tier0SplitInput, _ parameters: ExpressMergeParameters) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: true)
        try parameters.validate()
        let waiting = input.files.filter { !input.activeSplitLumis.contains($0.lumis[0]) }
        var outcome = Tier0SplitOutcome()
        var job: [Tier0File] = []
        var jobSize = 0
        var lastLumi = 0
        func emit() {
            if !job.isEmpty {
                outcome.jobs.append(Tier0Job(files: job, estimatedTime: 300 + Double(jobSize) * 3 / 5_000_000, cores: 1))
            }
            (job, jobSize) = ([], 0)
        }
        for (lumi, files) in Tier0InputCheck.byLumi(waiting).sorted(by: { $0.key < $1.key }) {
            let isOld = input.now - files.map(\.insertTime).reduce(0, max) > parameters.maxLatency
            let lumiSize = files.totalSize
            let fits = job.count + files.count <= parameters.maxInputFiles
                && SaturatingArithmetic.add(jobSize, lumiSize) <= parameters.maxInputSize
            if job.isEmpty {
                guard isOld else { break }
            } else if parameters.maxLatency == 0 {
                emit()
            } else if lumi != lastLumi + 1 {
                emit()
                guard isOld else { break }
            } else if !fits {
                emit()
            }
            job += files
            jobSize = SaturatingArithmetic.add(jobSize, lumiSize)
            lastLumi = lumi
        }
        emit()
        return outcome
    }
}
