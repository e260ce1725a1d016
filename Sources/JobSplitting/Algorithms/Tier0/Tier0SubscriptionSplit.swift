/// The Tier-0 splitting algorithms as a subscription names them (`algorithm` of its document).
public enum Tier0Algorithm: String, CaseIterable, Sendable {
    /// T0's `Repack`.
    case repack = "Repack"
    /// T0's `RepackMerge`.
    case repackMerge = "RepackMerge"
    /// T0's `Express`.
    case express = "Express"
    /// T0's `ExpressMerge`.
    case expressMerge = "ExpressMerge"
    /// T0's `AlcaHarvest`.
    case alcaHarvest = "AlcaHarvest"
    /// T0's `Condition` (no jobs: its files are recorded for upload).
    case condition = "Condition"
}

/// Baggage keys a Tier-0 split job carries to its job document.
public enum Tier0JobBaggage {
    /// The cores the job asks for (Repack and RepackMerge: one per started 20 GB of input).
    public static let numberOfCores = "numberOfCores"
    /// RepackMerge: true for a merge of an oversized lumi, which writes its `MergedError` output (the `-Error` dataset)
    /// only; false for every other, which writes `Merged` only.
    public static let useErrorDataset = "useErrorDataset"
}

/// The subscription's parameters of each Tier-0 algorithm, by T0's names (`maxSizeSingleLumi`, ...): written by the
/// feeder into the subscription, read back by the job creator; an absent one takes T0's default.
extension RepackParameters {
    /// The parameters as a subscription stores them.
    public var subscriptionParameters: [String: ParameterValue] {
        ["maxSizeSingleLumi": .int(maxSizeSingleLumi), "maxSizeMultiLumi": .int(maxSizeMultiLumi),
         "maxInputEvents": .int(maxInputEvents), "maxInputFiles": .int(maxInputFiles), "maxLatency": .double(maxLatency)]
    }

    /// Reads them from a subscription's parameters.
    public init(subscription p: SplitParameters) throws {
        let d = Self.defaults
        self.init(maxSizeSingleLumi: try p.int("maxSizeSingleLumi", default: d.maxSizeSingleLumi),
                  maxSizeMultiLumi: try p.int("maxSizeMultiLumi", default: d.maxSizeMultiLumi),
                  maxInputEvents: try p.int("maxInputEvents", default: d.maxInputEvents),
                  maxInputFiles: try p.int("maxInputFiles", default: d.maxInputFiles),
                  maxLatency: try p.double("maxLatency", default: d.maxLatency))
    }
}

extension RepackMergeParameters {
    /// The parameters as a subscription stores them.
    public var subscriptionParameters: [String: ParameterValue] {
        ["minInputSize": .int(minInputSize), "maxInputSize": .int(maxInputSize), "maxInputEvents": .int(maxInputEvents),
         "maxInputFiles": .int(maxInputFiles), "maxEdmSize": .int(maxEdmSize), "maxOverSize": .int(maxOverSize),
         "maxLatency": .double(maxLatency)]
    }

    /// Reads them from a subscription's parameters.
    public init(subscription p: SplitParameters) throws {
        let d = Self.defaults
        self.init(minInputSize: try p.int("minInputSize", default: d.minInputSize),
                  maxInputSize: try p.int("maxInputSize", default: d.maxInputSize),
                  maxInputEvents: try p.int("maxInputEvents", default: d.maxInputEvents),
                  maxInputFiles: try p.int("maxInputFiles", default: d.maxInputFiles),
                  maxEdmSize: try p.int("maxEdmSize", default: d.maxEdmSize),
                  maxOverSize: try p.int("maxOverSize", default: d.maxOverSize),
                  maxLatency: try p.double("maxLatency", default: d.maxLatency))
    }
}

extension ExpressParameters {
    /// The parameters as a subscription stores them.
    public var subscriptionParameters: [String: ParameterValue] {
        ["maxInputRate": .int(maxInputRate), "maxInputEvents": .int(maxInputEvents),
         "timePerEvent": .double(timePerEvent), "sizePerEvent": .double(sizePerEvent)]
    }

    /// Reads them from a subscription's parameters.
    public init(subscription p: SplitParameters) throws {
        let d = Self.defaults
        self.init(maxInputRate: try p.int("maxInputRate", default: d.maxInputRate),
                  maxInputEvents: try p.int("maxInputEvents", default: d.maxInputEvents),
                  timePerEvent: try p.double("timePerEvent", default: d.timePerEvent),
                  sizePerEvent: try p.double("sizePerEvent", default: d.sizePerEvent))
    }
}

extension ExpressMergeParameters {
    /// The parameters as a subscription stores them.
    public var subscriptionParameters: [String: ParameterValue] {
        ["maxInputSize": .int(maxInputSize), "maxInputFiles": .int(maxInputFiles), "maxLatency": .double(maxLatency)]
    }

    /// Reads them from a subscription's parameters.
    public init(subscription p: SplitParameters) throws {
        let d = Self.defaults
        self.init(maxInputSize: try p.int("maxInputSize", default: d.maxInputSize),
                  maxInputFiles: try p.int("maxInputFiles", default: d.maxInputFiles),
                  maxLatency: try p.double("maxLatency", default: d.maxLatency))
    }
}

extension AlcaHarvestParameters {
    /// The parameters as a subscription stores them.
    public var subscriptionParameters: [String: ParameterValue] { ["timeout": .double(timeout)] }

    /// Reads them from a subscription's parameters.
    public init(subscription p: SplitParameters) throws {
        self.init(timeout: try p.double("timeout", default: Self.defaults.timeout))
    }
}

extension Tier0Splitting {
    /// What a Tier-0 subscription's split gives: the jobs and failed files as every subscription's, plus the split-lumi
    /// records to keep (Repack, Express).
    public struct SubscriptionSplit: Sendable {
        /// Jobs (one group at the files' locations) and failed files.
        public var outcome: SplitOutcome
        /// Lumis whose streamers went to more than one job.
        public var splitLumis: [Tier0SplitLumi]
        /// Why each failed file failed.
        public var failureReasons: [String: String]
        /// Condition: the files to record for upload and move to acquired (no job reads them).
        public var recordedFiles: [String] = []
    }

    /// Splits a Tier-0 subscription's available `files` with `algorithm` and its stored `parameters`. Each file must
    /// name one run; `insertTime` is its age clock. A job's cores and error-dataset choice go in its baggage
    /// (`Tier0JobBaggage`), its time estimate in `estimatedJobTime`.
    public static func split(_ algorithm: Tier0Algorithm, files: [SplitFile], parameters: SplitParameters,
                             usedLumis: Set<Int>, filesetClosed: Bool, now: Double, activeSplitLumis: Set<Int>,
                             runStopTime: Double? = nil, jobGroupCreated: Bool = false,
                             locations: [String]) throws -> SubscriptionSplit {
        var byLFN: [String: SplitFile] = [:]
        var tier0Files: [Tier0File] = []
        for file in files {
            guard file.runs.count == 1, let run = file.runs.first, !run.lumis.isEmpty else {
                throw Tier0SplitError.invalidFile(lfn: file.lfn, field: "runs", found: "\(file.runs.count) run(s)",
                                                  allowed: "exactly one run with at least one lumi")
            }
            byLFN[file.lfn] = file
            tier0Files.append(Tier0File(lfn: file.lfn, run: run.run, lumis: Array(Set(run.lumis)).sorted(), size: file.size,
                                        events: file.events, insertTime: file.insertTime))
        }
        let input = Tier0SplitInput(files: tier0Files, usedLumis: usedLumis, filesetClosed: filesetClosed, now: now,
                                    activeSplitLumis: activeSplitLumis, runStopTime: runStopTime, jobGroupCreated: jobGroupCreated)
        let outcome: Tier0SplitOutcome
        switch algorithm {
        case .repack: outcome = try repack(input, RepackParameters(subscription: parameters))
        case .repackMerge: outcome = try repackMerge(input, RepackMergeParameters(subscription: parameters))
        case .express: outcome = try express(input, ExpressParameters(subscription: parameters))
        case .expressMerge: outcome = try expressMerge(input, ExpressMergeParameters(subscription: parameters))
        case .alcaHarvest: outcome = try alcaHarvest(input, AlcaHarvestParameters(subscription: parameters))
        case .condition: outcome = try condition(input)
        }
        let jobs = outcome.jobs.map { job in
            var baggage: [String: ParameterValue] = [Tier0JobBaggage.numberOfCores: .int(job.cores)]
            if algorithm == .repackMerge { baggage[Tier0JobBaggage.useErrorDataset] = .bool(job.useErrorDataset) }
            return SplitJob(inputFiles: job.files.compactMap { byLFN[$0.lfn] }, estimatedJobTime: job.estimatedTime, baggage: baggage)
        }
        var reasons: [String: String] = [:]
        for failed in outcome.failedFiles { reasons[failed.lfn] = failed.reason.description }
        return SubscriptionSplit(outcome: SplitOutcome(groups: jobs.isEmpty ? [] : [SplitJobGroup(locations: locations, jobs: jobs)],
                                                       failedFiles: outcome.failedFiles.map(\.lfn)),
                                 splitLumis: outcome.splitLumis, failureReasons: reasons, recordedFiles: outcome.recordedFiles)
    }
}
