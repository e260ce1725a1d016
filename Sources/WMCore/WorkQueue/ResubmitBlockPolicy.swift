import JobSplitting

/// One file of an ACDC record: what is still to do of it.
public struct ACDCFile: Codable, Hashable, Sendable {
    /// The LFN (`MCFakeFile-...` for generation).
    public var lfn: String
    /// Events of the file.
    public var events: Int
    /// Storage locations (PNNs).
    public var locations: [String]
    /// Runs and lumis still to do.
    public var lumis: [LumiSection]
    /// The failed job's mask, when it had one (event ranges of generation).
    public var mask: JobMask?
    /// Parent LFNs.
    public var parents: [String]

    /// Makes a file entry.
    public init(lfn: String, events: Int, locations: [String] = [], lumis: [LumiSection] = [], mask: JobMask? = nil,
                parents: [String] = []) {
        self.lfn = lfn
        self.events = events
        self.locations = locations
        self.lumis = lumis
        self.mask = mask
        self.parents = parents
    }

    /// What is wrong with the entry as it is read back, or nil: its LFN must be an LFN (or a generator's
    /// `MCFakeFile-...` of `[A-Za-z0-9._-]`), its parents LFNs, its events 0 to 10^12, its run and lumi numbers 1 to
    /// 4,294,967,295 — an ACDC record is a document on disk, hostile until checked.
    public var problem: String? {
        // A file's name, or a parent's: an LFN, or the MC fake file of a generator task (a GEN-SIM output's parent).
        func nameProblem(_ name: String) -> String? {
            if OutputRules.isMCFakeFile(name) {
                let allowed = !name.utf8.contains(where: { !($0 == 0x2d || $0 == 0x2e || $0 == 0x5f || (0x30...0x39).contains($0)
                                                           || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0)) })
                return allowed ? nil : "expected MCFakeFile-... of [A-Za-z0-9._-]"
            }
            return LFNRule.problem(name).map { "expected \(LFNRule.expectation); \($0)" }
        }
        if let problem = nameProblem(lfn) { return "field lfn '\(lfn)': \(problem)" }
        if let parent = parents.first(where: { nameProblem($0) != nil }) {
            return "file \(lfn) field parents '\(parent)': \(nameProblem(parent)!)"
        }
        guard Lexicon.eventCounts.contains(events) else {
            return "file \(lfn) field events \(events): expected an integer from 0 to \(Lexicon.eventCounts.upperBound)"
        }
        if let bad = lumis.first(where: { !Lexicon.runAndLumiNumbers.contains($0.run) || !Lexicon.runAndLumiNumbers.contains($0.lumi)
                                          || !($0.events.map(Lexicon.eventCounts.contains) ?? true) }) {
            return "file \(lfn) field lumis: run \(bad.run) lumi \(bad.lumi) events \(bad.events.map(String.init) ?? "null"): "
                + "expected run and lumi numbers from 1 to 4294967295 and events from 0 to \(Lexicon.eventCounts.upperBound)"
        }
        return nil
    }
}

/// An ACDC record: the work a task of a request failed to do (written for exhausted jobs, skipped files and
/// killed workflows; never for LogCollect or Cleanup).
public struct ACDCRecord: Codable, Hashable, Sendable {
    /// The original request (the ACDC collection).
    public var workflow: String
    /// The task path (the ACDC fileset).
    public var task: String
    /// The failed task's splitting algorithm.
    public var splittingAlgorithm: String
    /// Files with what is left to do.
    public var files: [ACDCFile]

    /// Makes a record.
    public init(workflow: String, task: String, splittingAlgorithm: String, files: [ACDCFile]) {
        self.workflow = workflow
        self.task = task
        self.splittingAlgorithm = splittingAlgorithm
        self.files = files
    }
}

/// WorkQueue's ResubmitBlock start policy: elements from an ACDC record.
///
/// Harvest, ParentlessMergeBySize, MinFileBased, LumiBased, EventAwareLumiBased and EventBased records become
/// one chunk; others chunks of 250 files; WMBSMergeBySize and SiblingProcessingBased are rejected.
public enum ResubmitBlockPolicy {
    /// Algorithms resubmitted as one chunk.
    public static let singleChunkAlgorithms: Set<String> = ["Harvest", "ParentlessMergeBySize", "MinFileBased", "LumiBased",
                                                            "EventAwareLumiBased", "EventBased"]
    /// Algorithms that cannot be resubmitted.
    public static let rejectedAlgorithms: Set<String> = ["WMBSMergeBySize", "SiblingProcessingBased"]
    /// Files per chunk for the other algorithms.
    public static let chunkSize = 250

    /// The elements resubmitting `record` for `task`.
    ///
    /// - Throws: `StartPolicyError.unsupportedACDCAlgorithm` for rejected algorithms, `.emptyACDC` for a record
    ///   with no file (no element would be made).
    public static func elements(for task: WorkloadTask, record: ACDCRecord, context: ElementContext,
                                server: String = "https://cmsweb.cern.ch/couchdb",
                                database: String = "acdcserver") throws(StartPolicyError) -> [ElementBody] {
        guard !rejectedAlgorithms.contains(record.splittingAlgorithm) else {
            throw .unsupportedACDCAlgorithm(task: record.task, algorithm: record.splittingAlgorithm)
        }
        guard !record.files.isEmpty else { throw .emptyACDC(task: record.task, workflow: record.workflow) }
        let files = record.inputFiles
        let size = filesPerElement(record, files: files.count)
        let chunks = stride(from: 0, to: files.count, by: size).map { Array(files[$0..<min($0 + size, files.count)]) }
        let slice = SliceType.of(task.splitting)
        let acdc = ACDCReference(server: server, database: database, collection: record.workflow, fileset: record.task)
        return chunks.enumerated().map { index, files in
            let lumis = files.reduce(0) { $0 + $1.lumis.count }
            let events = SaturatingArithmetic.sum(files.lazy.map(\.events))
            let runs = Set(files.flatMap { $0.lumis.map(\.run) }).count
            let count = slice.type.count(files: files.count, events: events, lumis: lumis, runs: runs)
            let input = "acdc:\(record.workflow):\(record.task):\(index * size)"
            return context.element(task: task, policy: .resubmitBlock,
                                   inputs: [input: sites(of: files, context: context)],
                                   jobs: SliceType.jobs(count: count, size: slice.size), events: events, lumis: lumis,
                                   files: files.count, acdc: acdc)
        }
    }

    /// Files per element for `record`: all of them for the single-chunk algorithms, else `chunkSize`.
    public static func filesPerElement(_ record: ACDCRecord, files: Int) -> Int {
        singleChunkAlgorithms.contains(record.splittingAlgorithm) ? max(1, files) : chunkSize
    }

    /// The merged input files of the element whose input key is `input` (`acdc:<workflow>:<task>:<first index>`).
    public static func chunk(of record: ACDCRecord, input: String?) -> ArraySlice<ACDCInputFile> {
        let files = record.inputFiles
        let offset = input.flatMap { Int($0.split(separator: ":").last ?? "") } ?? 0
        let size = filesPerElement(record, files: files.count)
        let first = min(max(offset, 0), files.count)
        return files[first..<min(first + size, files.count)]
    }

    /// The sites a chunk may run at: its files' locations as sites. The MC fake file has no storage location;
    /// WMCore gives it the element's sites (WMBSHelper's common location), so a generation chunk goes back to
    /// the site whitelist less the blacklist instead of `NoInitialSite`, where no agent could ever pull it.
    static func sites(of files: [ACDCInputFile], context: ElementContext) -> [String] {
        let locations = Set(files.flatMap(\.locations))
        if locations.isEmpty && !files.isEmpty && files.allSatisfy(\.isGenerator) {
            let blacklist = Set(context.siteBlacklist)
            let sites = context.siteWhitelist.filter { !blacklist.contains($0) }
            if !sites.isEmpty { return sites.sorted() }
        }
        return context.sites(for: Array(locations))
    }
}
