extension Tier0Splitting {
    /// T0's `Express`: streamers of a released express run/stream fileset into express jobs (§A.6 "Express").
    ///
    /// Each lumi alone, in lumi order: one with more events than `maxInputRate` has all its streamers failed;
    /// any other is split first-fit under `maxInputEvents` (a job's first streamer always taken), with a split-lumi
    /// record when it took more than one job. No latency, hole or close logic: `usedLumis`, `filesetClosed` and
    /// `activeSplitLumis` are not read. Every file must have exactly one lumi.
    public static func express(_ input: Tier0SplitInput, _ parameters: ExpressParameters) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: true)
        try parameters.validate()
        var outcome = Tier0SplitOutcome()
        for (lumi, files) in Tier0InputCheck.byLumi(input.files).sorted(by: { $0.key < $1.key }) {
            let lumiEvents = files.totalEvents
            guard lumiEvents <= parameters.maxInputRate else {
                let reason = Tier0FailureReason.lumiOverMaxInputRate(lumi: lumi, events: lumiEvents, maxInputRate: parameters.maxInputRate)
                outcome.failedFiles += files.map { Tier0FailedFile(lfn: $0.lfn, reason: reason) }
                continue
            }
            let groups = Tier0FirstFit.split(files) { _, events in events <= parameters.maxInputEvents }
            for group in groups {
                outcome.jobs.append(Tier0Job(files: group, estimatedTime: expressJobTime(group, parameters), cores: 1))
            }
            if groups.count > 1 {
                outcome.splitLumis.append(Tier0SplitLumi(run: files[0].run, lumi: lumi, nfiles: files.count))
            }
        }
        return outcome
    }

    /// The most an express job's time estimate can be: 47 hours.
    public static let expressMaximumJobTime: Double = 47 * 3600

    /// Express's time estimate: 600 s (two initialisations) + size/0.5 MB/s + events·timePerEvent
    /// + 2·events·sizePerEvent/5 MB/s (checksum and stage-out of the output), at most 47 h.
    static func expressJobTime(_ files: [Tier0File], _ parameters: ExpressParameters) -> Double {
        let size = Double(files.totalSize)
        let events = Double(files.totalEvents)
        let time = 600 + size / 500_000 + events * parameters.timePerEvent + events * parameters.sizePerEvent * 2 / 5_000_000
        return min(time, expressMaximumJobTime)
    }
}
