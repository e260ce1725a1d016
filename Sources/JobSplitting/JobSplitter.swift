import Foundation

/// The one entry point of the splitting package.
public enum JobSplitter {
    /// The EventBased parameter of a resubmission (`{lfn: [[first, last], ...]}`): the skip-event ranges of each
    /// real input file the failed jobs left to do. EventBased replays exactly these ranges of the file, as
    /// WMCore's EventBased replays its ACDC entries (`createACDCJobs`), instead of the whole file.
    public static let acdcEventRangesParameter = "acdc_event_ranges"

    /// Splits `files` (the subscription's available files, in the order WMCore would see them) into jobs.
    ///
    /// Files that end up in no job and are not in `failedFiles` stay available for a later call. The outcome's
    /// `inputPositions(in: files)` says which of `files` each job reads.
    public static func split(_ algorithm: SplittingAlgorithm, files: [SplitFile], parameters: SplitParameters,
                             context: SplitContext) throws -> SplitOutcome {
        var context = context
        if parameters.bool("trustSitelists", default: false) { context.trustSiteLists = true }
        switch algorithm {
        case .eventBased: return try EventBased.split(files, parameters, context)
        case .fileBased: return try FileBased.split(files, parameters, context)
        case .minFileBased: return try FileBased.splitMin(files, parameters, context)
        case .lumiBased: return try LumiBased.split(files, parameters, context)
        case .eventAwareLumiBased: return try LumiBased.splitEventAware(files, parameters, context)
        case .eventAwareLumiByWork: return try EventAwareLumiByWork.split(files, parameters, context)
        case .sizeBased: return try SimplePacking.sizeBased(files, parameters, context)
        case .runBased: return try SimplePacking.runBased(files, parameters, context)
        case .mergeBySize: return try SimplePacking.mergeBySize(files, parameters, context)
        case .parentlessMergeBySize: return try Merge.parentless(files, parameters, context)
        case .wmbsMergeBySize: return try Merge.wmbs(files, parameters, context)
        case .siblingProcessingBased: return try SiblingProcessingBased.split(files, parameters, context)
        case .harvest: return try Harvest.split(files, parameters, context)
        }
    }
}

/// The reference JSON of `wmctl split --json`:
/// `{"jobs": [{"input_files": [lfn, ...], "mask": {FirstEvent, LastEvent, FirstLumi, LastLumi, FirstRun,
/// LastRun, runAndLumis, inclusivemask}}]}`, keys sorted.
public func referenceJSON(_ outcome: SplitOutcome) throws -> Data {
    struct ReferenceJob: Encodable {
        let inputFiles: [String]
        let mask: JobMask
        enum CodingKeys: String, CodingKey { case inputFiles = "input_files", mask }
    }
    struct Reference: Encodable { let jobs: [ReferenceJob] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(Reference(jobs: outcome.jobs.map { ReferenceJob(inputFiles: $0.inputLFNs, mask: $0.mask) }))
}
