import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// The account of a request on the spool (issue 16): for every output dataset, what was expected (the input's
/// lumis after the white/black lists and LumiList, or the requested events as the generation jobs number
/// them), what the DBS buffer holds of it (every merged output, uploaded or not), what ACDC holds for
/// resubmission, and the difference. Kept in `archive/accounts/<request>.json` by the task archiver.
public struct RequestAccounting {
    /// The spool.
    public let spool: Spool
    /// Where accounts are kept.
    public static let area = Layout.accounts
    /// The ACDC record name of work the account found missing without a record.
    public static let recordName = "account"

    /// Makes the accounting of a spool.
    public init(spool: Spool) { self.spool = SpoolRoles.central(of: spool) }

    /// What one top-level task was expected to produce: lumis with events, and where each lumi's work lies.
    struct Expectation {
        var task: WorkloadTask
        var lumis: [LumiSection]
        /// For each lumi, the ACDC entries that would redo it (an input file's lumi, or a generation event range).
        var work: [LumiKey: [ACDCFile]]
        /// The runs its outputs are counted in, nil for all: a Tier-0 dataset input reads one run, and every run's
        /// PromptReco writes the same datasets.
        var runs: Set<Int>? = nil
    }

    /// The account of `request` as the spool stands now.
    public func account(of request: String, now: Double) throws -> RequestAccount {
        let (account, _) = try compute(request, now: now)
        return account
    }

    /// The account kept when the request closed, or nil.
    public func stored(_ request: String) throws -> RequestAccount? {
        guard let bytes = try spool.read(request + ".json", in: Self.area) else { return nil }
        return try decodeDocument(RequestAccount.self, bytes, file: Self.area + "/" + request + ".json")
    }

    /// The closed requests whose account is not complete now: those kept as incomplete or inconsistent at close,
    /// computed again (a resubmission may have filled the gap since), by request name.
    public func unfinishedAccounts(now: Double) throws -> [RequestAccount] {
        guard spool.isFolder(Self.area) else { return [] }
        var result: [RequestAccount] = []
        for name in try spool.scan(Self.area).names.sorted() where name.hasSuffix(".json") {
            let request = String(name.dropLast(5))
            guard let kept = try stored(request), !kept.isAccepted else { continue }
            let current = try ElementStore(spool: spool).workload(request) == nil ? kept : try account(of: request, now: now)
            if !current.isAccepted { result.append(current) }
        }
        return result
    }

    /// Computes the account and, for each top-level task, the ACDC record of the lumis missing from every one of
    /// its outputs with no ACDC record (none where there are none).
    func compute(_ request: String, now: Double) throws -> (RequestAccount, [ACDCRecord]) {
        guard let workload = try ElementStore(spool: spool).workload(request) else {
            throw DocumentProblem("request \(request): no stored workload (\(ElementStore.workloads)/\(request).json): it was never staged")
        }
        let document = try requestDocument(request)
        let body = document?.body
        // WMCore's force-complete: the operator accepts the output as it is; what never ran is left out, not recorded.
        let forceCompleted = document?.history.contains { $0.to == RequestStatus.forceComplete.rawValue } ?? false
        let outputs = SpoolRoles.isSplit(spool)
            ? try catalogOutputLumis(request: request, onlyOwn: workload.requestType == .resubmission,
                                     datasets: Set(workload.tasks.flatMap(\.outputs).map(\.dataset)))
            : try outputLumis(onlyWorkflow: workload.requestType == .resubmission ? request : nil)
        let records = try ACDCStore(spool: spool).records(workflow: request)
        var datasets: [DatasetAccount] = []
        var missingRecords: [ACDCRecord] = []
        for expectation in try expectations(workload, request: body) {
            // Lumis absent from every output of the task's subtree, with no ACDC record: redoing them from the top
            // task doubles nothing. A lumi absent from some outputs only stays missing (inconsistent, loudly).
            var absentEverywhere: Set<LumiKey>?
            for task in workload.tasks where task.type != .merge && (task.path == expectation.task.path || task.path.hasPrefix(expectation.task.path + "/")) {
                // Work in ACDC for this task's outputs: records of the task or an ancestor, and records of the merge
                // task of an output module (a merge job that failed or vanished leaves its output unmade).
                let own = records.filter { task.path == $0.task || task.path.hasPrefix($0.task + "/") }
                for output in task.outputs where output.kept && !output.transient {
                    let merge = workload.mergeTask(ofOutput: output.module, of: task.path)?.path
                    let acdc = Set((own + records.filter { $0.task == merge }).flatMap(\.inputFiles).flatMap(\.lumis).map(LumiKey.init))
                    let have = (outputs[output.dataset] ?? []).filter { expectation.runs?.contains($0.run) ?? true }
                    let entry = RequestAccount.account(dataset: output.dataset, task: task.path, expected: expectation.lumis, output: have,
                                                       acdc: acdc, compareEvents: output.filterName.isEmpty,
                                                       forceCompleted: forceCompleted)
                    datasets.append(entry)
                    let present = Set(have.map(LumiKey.init))
                    let absent = Set(expectation.lumis.map(LumiKey.init)).subtracting(present).subtracting(acdc)
                    absentEverywhere = absentEverywhere.map { $0.intersection(absent) } ?? absent
                }
            }
            let lost = (absentEverywhere ?? []).sorted()
            let files = lost.flatMap { expectation.work[$0] ?? [] }
            if !files.isEmpty && !forceCompleted {
                missingRecords.append(ACDCRecord(workflow: request, task: expectation.task.path, splittingAlgorithm: expectation.task.splitting.algorithm,
                                                 files: Self.mergedPerFile(files)))
            }
        }
        let account = RequestAccount(request: request, computedAt: now, datasets: datasets.sorted { $0.dataset < $1.dataset },
                                     recordedAtClose: try recordedAtClose(workload))
        return (account, missingRecords)
    }

    /// Computes the account at close: work missing entirely without an ACDC record is recorded in ACDC first, in
    /// a commit of its own (so `wmctl request resubmit` recovers it), then the account is computed again; the
    /// caller publishes it with the summary (`encoded`). Replay-safe: the record has a fixed name (a second pass
    /// finds its lumis in ACDC), and `recordedAtClose` is read back from it.
    func close(_ request: String, now: Double) throws -> RequestAccount {
        let (_, missing) = try compute(request, now: now)
        if !missing.isEmpty {
            let store = ACDCStore(spool: spool)
            try spool.inBatch { batch in
                for record in missing { try store.add(record, name: Self.recordName, in: batch) }
            }
        }
        return try compute(request, now: now).0
    }

    /// The lumis of the ACDC records the account wrote when `workload` closed.
    func recordedAtClose(_ workload: Workload) throws -> [String] {
        let store = ACDCStore(spool: spool)
        var recorded: [LumiKey] = []
        for task in workload.topLevelTasks {
            let folder = store.folder(workflow: workload.name, task: task.path)
            guard let bytes = try spool.read(Self.recordName + ".json", in: folder) else { continue }
            let record = try decodeDocument(ACDCRecord.self, bytes, file: folder + "/" + Self.recordName + ".json")
            recorded += record.files.flatMap(\.lumis).map(LumiKey.init)
        }
        return LumiKey.ranges(recorded)
    }

    /// The bytes an account is kept as.
    static func encoded(_ account: RequestAccount) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array(try encoder.encode(account)) + [10]
    }

    /// Entries for one lumi of one file merged: one entry per file, its lumis united.
    static func mergedPerFile(_ files: [ACDCFile]) -> [ACDCFile] {
        var order: [String] = []
        var merged: [String: ACDCFile] = [:]
        for file in files {
            let key = file.mask?.firstEvent.map { "\(file.lfn)#\($0)" } ?? file.lfn
            if var known = merged[key] {
                known.lumis += file.lumis
                known.events += file.events
                merged[key] = known
            } else {
                order.append(key)
                merged[key] = file
            }
        }
        return order.map { merged[$0]! }
    }

    /// The request document (its body gives the element context of a generation request, its history whether it
    /// was force-completed).
    func requestDocument(_ request: String) throws -> RequestDocument? {
        let area = RequestManager.area(spool)
        guard let status = RequestStatus.allCases.first(where: { spool.contains(area.fileName(request), in: area.folder($0)) }),
              case .document(let doc) = try area.load(request, in: status) else { return nil }
        return doc
    }

    /// What each top-level task of the workload was expected to produce.
    func expectations(_ workload: Workload, request: RequestBody?) throws -> [Expectation] {
        let catalog = CatalogStore(spool: spool)
        return try workload.topLevelTasks.map { task in
            switch task.input {
            case .generator:
                let context = request.map { ElementContext(request: $0, at: 0) } ?? ElementContext(requestName: workload.name, priority: 0, creationTime: 0)
                let masks = try MonteCarloPolicy().elements(for: task, context: context).compactMap(\.mask)
                return generation(task, masks: masks, fakeLFN: "MCFakeFile-\(workload.name)-\(task.name)")
            case .dataset(let name, let selection), .tier0Dataset(let name, let selection):
                guard let dataset = catalog.dataset(named: name) else {
                    throw DocumentProblem("request \(workload.name): input dataset \(name) is not in the catalog")
                }
                let files = dataset.select(selection).flatMap { block in
                    block.files.map { ($0.file, $0.lumis, block.block.locations) }
                }
                var expectation = processing(task, files: files.map { (file: $0.0, lumis: $0.1, locations: $0.2) })
                if case .tier0Dataset = task.input { expectation.runs = Set(selection.runWhitelist) }
                return expectation
            case .acdc(let collection, let path):
                let record = try ACDCStore(spool: spool).merged(workflow: collection, task: path)
                let inputs = record?.inputFiles ?? []
                if inputs.allSatisfy(\.isGenerator) {
                    let masks = inputs.flatMap { file in
                        file.eventRanges.map { JobMask(firstEvent: $0.lowerBound, lastEvent: $0.upperBound, firstLumi: file.lumis.first?.lumi,
                                                       lastLumi: file.lumis.last?.lumi, firstRun: file.lumis.first?.run) }
                    }
                    return generation(task, masks: masks, fakeLFN: inputs.first?.lfn ?? "MCFakeFile-\(workload.name)")
                }
                return processing(task, files: try inputs.map { input in
                    let catalogLumis = try CatalogStore(spool: spool).lumis(of: input.lfn)
                    let lumis = input.eventRanges.isEmpty ? input.lumis : Self.lumis(of: input.eventRanges, in: catalogLumis.isEmpty ? input.lumis : catalogLumis)
                    return (file: CatalogFile(lfn: input.lfn, size: 0, events: input.events, adler32: "", cksum: "",
                                              lumis: catalogLumis.isEmpty ? input.lumis : catalogLumis, parents: input.parents),
                            lumis: lumis, locations: input.locations)
                })
            case .taskOutput:
                throw DocumentProblem("task \(task.path) is not a top-level task")
            case .tier0Streamers:
                throw DocumentProblem("task \(task.path) repacks or expresses streamers: each primary dataset holds only the events "
                                      + "whose paths fired, so no request account applies (the Tier-0 accounts its runs by streamer)")
            }
        }
    }

    /// The lumis of a file (in file order, with their event counts) that skip-event `ranges` touch, each with the
    /// events of it the ranges cover (its count unknown when the file's per-lumi counts are).
    static func lumis(of ranges: [ClosedRange<Int>], in fileLumis: [LumiSection]) -> [LumiSection] {
        guard let spans = skipEventSpans(fileLumis) else { return fileLumis.map { LumiSection(run: $0.run, lumi: $0.lumi) } }
        return fileLumis.compactMap { lumi in
            guard let span = spans[LumiKey(lumi)] else { return nil }
            let covered = ranges.reduce(0) { total, range in
                let low = max(range.lowerBound, span.lowerBound), high = min(range.upperBound, span.upperBound)
                return total + (high >= low ? high - low + 1 : 0)
            }
            return covered > 0 ? LumiSection(run: lumi.run, lumi: lumi.lumi, events: covered) : nil
        }
    }

    /// The skip-event span of each lumi of a file whose events lie in lumi order (none for a lumi without
    /// events); nil when a lumi's count is unknown.
    static func skipEventSpans(_ fileLumis: [LumiSection]) -> [LumiKey: ClosedRange<Int>]? {
        guard fileLumis.allSatisfy({ $0.events != nil }) else { return nil }
        var spans: [LumiKey: ClosedRange<Int>] = [:]
        var start = 0
        for lumi in fileLumis {
            let n = lumi.events ?? 0
            if n > 0 { spans[LumiKey(lumi)] = start...(start + n - 1) }
            start += n
        }
        return spans
    }

    /// A generation task: the lumis its jobs number, each lumi's events as one ACDC event range.
    func generation(_ task: WorkloadTask, masks: [JobMask], fakeLFN: String) -> Expectation {
        var work: [LumiKey: [ACDCFile]] = [:]
        let segments = RequestAccount.generatedSegments(elements: masks, splitting: task.splitting)
        var lumis: [LumiKey: Int] = [:]
        for segment in segments {
            lumis[segment.lumi, default: 0] += segment.events.count
            let mask = JobMask(firstEvent: segment.events.lowerBound, lastEvent: segment.events.upperBound, firstLumi: segment.lumi.lumi,
                               lastLumi: segment.lumi.lumi, firstRun: segment.lumi.run)
            work[segment.lumi, default: []].append(ACDCFile(lfn: fakeLFN, events: segment.events.count,
                                                            lumis: [LumiSection(run: segment.lumi.run, lumi: segment.lumi.lumi, events: segment.events.count)],
                                                            mask: mask))
        }
        return Expectation(task: task, lumis: lumis.map { LumiSection(run: $0.key.run, lumi: $0.key.lumi, events: $0.value) }.sorted(), work: work)
    }

    /// A processing task: the kept lumis of its input files; each lumi's work is that lumi of its file (with the
    /// lumi's skip-event range when the task splits EventBased and the file's per-lumi counts are known).
    func processing(_ task: WorkloadTask, files: [(file: CatalogFile, lumis: [LumiSection], locations: [String])]) -> Expectation {
        var lumis: [LumiSection] = []
        var work: [LumiKey: [ACDCFile]] = [:]
        let byEvents = task.splitting.algorithm == "EventBased"
        for (file, kept, locations) in files {
            let offsets = Self.skipEventSpans(file.lumis) ?? [:]
            for lumi in kept {
                lumis.append(lumi)
                let key = LumiKey(lumi)
                if byEvents && offsets[key] == nil { continue }   // no skip-event range: not recoverable by lumi
                let range = byEvents ? offsets[key] : nil
                work[key, default: []].append(ACDCFile(lfn: file.lfn, events: lumi.events ?? 0, locations: locations, lumis: [lumi],
                                                       mask: range.map { JobMask(firstEvent: $0.lowerBound, lastEvent: $0.upperBound) },
                                                       parents: file.parents))
            }
        }
        return Expectation(task: task, lumis: lumis, work: work)
    }

    /// With agents on spools of their own, the outputs are what the central catalog holds: the lumis of every valid
    /// file of `datasets` (a file invalidated because its work was taken back from a dead agent does not count), or
    /// with `onlyOwn` only those of the blocks the agents uploaded for `request` (`AgentLedger` origins).
    func catalogOutputLumis(request: String, onlyOwn: Bool, datasets: Set<String>) throws -> [String: [LumiSection]] {
        let catalog = CatalogStore(spool: spool)
        let own = onlyOwn ? try AgentLedger(spool: spool).originBlocks(request: request) : nil
        var result: [String: [LumiSection]] = [:]
        for name in datasets.sorted() {
            guard let dataset = catalog.dataset(named: name) else { continue }
            for block in dataset.blocks where own?.contains(block.name) ?? true {
                for file in block.files where file.isValid { result[name, default: []] += file.lumis }
            }
        }
        return result
    }

    /// The lumis of every merged output in the DBS buffer (new, in a block, uploaded), by dataset; only those of
    /// `onlyWorkflow` when given (a Resubmission accounts for what it wrote).
    func outputLumis(onlyWorkflow: String?) throws -> [String: [LumiSection]] {
        var result: [String: [LumiSection]] = [:]
        for folder in AccountingAreas.dbsBufferFileFolders where spool.isFolder(folder) {
            for name in try spool.scan(folder).names {
                guard let bytes = try spool.read(name, in: folder) else { continue }
                let file = try decodeDocument(DBSBufferFile.self, bytes, file: folder + "/" + name)
                if let onlyWorkflow, file.workflow != onlyWorkflow { continue }
                result[file.dataset, default: []] += file.lumis
            }
        }
        return result
    }
}
