/// AlcaHarvest's parameter (T0 `AlcaHarvestTimeout`, prod 12 h; not set by T0's defaults).
public struct AlcaHarvestParameters: Hashable, Sendable {
    /// Seconds after the run's stop after which an open fileset is harvested anyway; 0: not set (only the fileset's
    /// close releases the harvest).
    public var timeout: Double

    /// Parameters with the given timeout.
    public init(timeout: Double) { self.timeout = timeout }

    /// T0's default: no timeout.
    public static let defaults = AlcaHarvestParameters(timeout: 0)
    /// Production: 12 h.
    public static let production = AlcaHarvestParameters(timeout: 12 * 3600)

    func validate() throws { try Tier0ParameterCheck.number("timeout", timeout) }
}

extension Tier0Splitting {
    /// T0's `AlcaHarvest` (§A.6 "AlcaHarvest"): one job over all the available files (the ALCAPROMPT skims of a run's
    /// express stream) when
    /// - the fileset is open, a timeout is set, the subscription made no job group yet and stop + timeout < now
    ///   (stop: `runStopTime`, or the newest insert time of the files when that is unknown or 0); or
    /// - the fileset is closed and a file is available.
    /// Otherwise nothing.
    public static func alcaHarvest(_ input: Tier0SplitInput, _ parameters: AlcaHarvestParameters) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: false)
        try parameters.validate()
        if let stop = input.runStopTime, !stop.isFinite || stop < 0 {
            throw Tier0SplitError.invalidParameter(name: "runStopTime", found: String(stop), allowed: "finite seconds >= 0")
        }
        var outcome = Tier0SplitOutcome()
        guard !input.files.isEmpty else { return outcome }
        let released: Bool
        if input.filesetClosed {
            released = true
        } else if parameters.timeout > 0, !input.jobGroupCreated {
            let stop = input.runStopTime.flatMap { $0 > 0 ? $0 : nil } ?? input.files.map(\.insertTime).max()!
            released = stop + parameters.timeout < input.now
        } else {
            released = false
        }
        if released { outcome.jobs = [Tier0Job(files: input.files, estimatedTime: 0, cores: 1)] }
        return outcome
    }

    /// T0's `Condition` (§A.6 "Condition"): creates no jobs; every available file (an AlcaHarvest's conditions
    /// payload) is recorded for upload (`prompt_calib_file`) and moved to acquired. ConditionUpload later marks
    /// them complete.
    public static func condition(_ input: Tier0SplitInput) throws -> Tier0SplitOutcome {
        try Tier0InputCheck.validate(input, singleLumi: false)
        var outcome = Tier0SplitOutcome()
        outcome.recordedFiles = input.files.map(\.lfn)
        return outcome
    }
}
