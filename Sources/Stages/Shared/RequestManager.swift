import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// ReqMgr on the spool: requests are documents in `reqmgr/<status>/`; new submissions arrive in
/// `reqmgr/incoming/` (any file name) or through `wmctl request submit`. Both go through `submit`.
public struct RequestManager {
    /// The spool that holds the requests (on an agent's spool: its central spool, `SpoolRoles.central`).
    public let spool: Spool
    /// Where task configurations are looked up.
    public let configCache: any ConfigCacheLookup
    /// Where input datasets are looked up.
    public let catalog: any CatalogLookup
    /// Requestor group priorities.
    public let groups: GroupPriorities
    /// The most jobs one top-level task may make (`JobCeiling`); a request over it is refused at submission.
    public let maxJobsPerTask: Int
    /// The most jobs one MonteCarlo element covers (`MonteCarloPolicy.maxJobsPerElement`).
    public let maxJobsPerElement: Int
    /// The requests area.
    public let area: DocumentArea<RequestBody>

    /// Folder of submissions not yet read.
    public static let incoming = Layout.requestsIncoming
    /// Folder of the submissions as they came, kept beside the accepted documents.
    public static let originals = Layout.requestOriginals

    /// Makes a request manager.
    public init(spool: Spool, configCache: any ConfigCacheLookup, catalog: any CatalogLookup, groups: GroupPriorities = GroupPriorities(),
                maxJobsPerTask: Int = JobCeiling.defaultMaxJobsPerTask, maxJobsPerElement: Int = 1000) {
        self.spool = SpoolRoles.central(of: spool)
        self.maxJobsPerElement = maxJobsPerElement
        self.configCache = configCache
        self.catalog = catalog
        self.groups = groups
        self.maxJobsPerTask = maxJobsPerTask
        area = RequestManager.area(spool)
    }

    /// The requests area of a spool.
    public static func area(_ spool: Spool) -> DocumentArea<RequestBody> { Areas.requests(spool) }

    /// Creates the request folders.
    public func ensureFolders() throws {
        try area.ensureFolders()
        try spool.ensureDirectories([Self.incoming, Self.originals])
    }

    /// Validates a submission and, when it is valid, stores it as a new request (and assigns it when
    /// `assign` is true, using the submission's `assignRequest` part, as CMS's injection script does).
    ///
    /// - Returns: the stored request.
    /// - Throws: `RequestRejected` listing every problem; nothing is stored then.
    public func submit(_ data: Data, overrides: [String: JSONValue] = [:], assign: Bool, actor: String,
                       now: Double) throws -> RequestDocument {
        let request = try accept(data, overrides: overrides, assign: assign, actor: actor, now: now)
        try spool.inBatch { batch in
            try batch.publish(Array(data), as: request.name + ".json", in: Self.originals)
            try batch.publish(try area.encode(request), as: request.name + ".json", in: area.folder(request.state))
        }
        return request
    }

    /// Validates a submission and makes its request document (not stored).
    ///
    /// - Parameter name: the request's name when it was fixed earlier (a replayed submission).
    public func accept(_ data: Data, overrides: [String: JSONValue] = [:], assign: Bool, actor: String, now: Double,
                       name fixedName: String? = nil) throws -> RequestDocument {
        var input = try RequestInput.parse(data)
        if !overrides.isEmpty { input.applyOverrides(overrides) }
        let validator = RequestValidator(configCache: configCache, catalog: catalog)
        let (create, assignment) = try validator.validate(input)
        if assign && assignment == nil {
            throw RequestRejected(stage: "assign", problems: [RequestProblem(field: "assignRequest", value: "missing",
                expected: "an assignRequest part in the submission (or assign later with wmctl request assign NAME --set Key=Value)")])
        }
        let name = try fixedName ?? RequestNaming.checkedName(requestor: create.requestor, requestString: create.string("RequestString") ?? "request",
                                                              at: Date(timeIntervalSince1970: now))
        try checkJobCeiling(name: name, create: create, assignment: assign ? assignment : nil, now: now)
        var request = RequestDocument(RequestBody(name: name, arguments: create, groupPriorities: groups, at: now))
        if assign, let assignment {
            try request.transition(to: .assignmentApproved, actor: actor, reason: "approved at submission", at: now)
            try request.body.assign(assignment, groupPriorities: groups, actor: actor, at: now)
        }
        return request
    }

    /// Refuses a request a task of which would make more jobs than `maxJobsPerTask`, naming the field that makes them
    /// (e.g. `RequestNumEvents` 1e8 at EventsPerJob 200: 500,000 jobs). The work is estimated the way the global queue
    /// will split it; a workload that cannot be built or split yet is left to the queue, which reports why (and
    /// applies the same ceiling). Resubmissions are bounded by their original request.
    private func checkJobCeiling(name: String, create: RequestArguments, assignment: RequestArguments?, now: Double) throws {
        guard create.requestType != .resubmission,
              let workload = try? WorkloadBuilder.build(name: name, request: create, assignment: assignment, configCache: configCache)
        else { return }
        do {
            _ = try WorkQueueSplitter.elements(workload: workload, context: ElementContext(requestName: name, priority: 0, creationTime: now),
                                               catalog: catalog, monteCarlo: MonteCarloPolicy(maxJobsPerTask: maxJobsPerTask))
        } catch let .tooManyJobs(task, field, value, jobs, maximum) {
            throw RequestRejected(stage: "create", problems: [RequestProblem(
                field: field, value: "\(value) in task \(task)", expected: JobCeiling.expectation(jobs: jobs, maximum: maximum))])
        } catch let .lumiNumbersExhausted(task, firstLumi, lumis) {
            throw RequestRejected(stage: "create", problems: [RequestProblem(
                field: "EventsPerLumi", value: "\(lumis) lumis from FirstLumi \(firstLumi) in task \(task)",
                expected: "lumis numbered at most 4294967295 (more events per lumi, fewer events or a lower FirstLumi)")])
        } catch {
            return
        }
    }

    /// Where a request is now, or nil.
    public func locate(_ name: String) -> RequestStatus? {
        RequestStatus.allCases.first { spool.contains(name + ".json", in: area.folder($0)) }
    }

    /// Loads a request wherever it is.
    public func load(_ name: String, now: Double) throws -> RequestDocument {
        guard let status = locate(name) else { throw CommandFailure(.noInput, "no request named '\(name)'") }
        switch try area.load(name, in: status, now: now) {
        case .document(let doc): return doc
        case .gone: throw CommandFailure(.tryAgain, "request '\(name)' moved while reading; try again")
        case .quarantined(let reason): throw CommandFailure(.dataError, "request '\(name)' was quarantined: \(reason)")
        }
    }

    /// Changes a request: `change` records transitions on the document; it is then moved (or rewritten).
    @discardableResult
    public func update(_ name: String, now: Double, change: (inout RequestDocument) throws -> Void) throws -> RequestDocument {
        let original = try load(name, now: now)
        var doc = original
        let from = doc.state
        try change(&doc)
        doc.lastUpdate = now
        try spool.inBatch { batch in
            if doc.state == from {
                try batch.replaceContent(of: name + ".json", in: area.folder(from), with: try area.encode(doc))
            } else if try area.move(doc, original: original, from: from, batch: batch) != .moved {
                throw CommandFailure(.tryAgain, "request '\(name)' moved while changing it; try again")
            }
        }
        return doc
    }

    /// Assigns an approved request (team, sites, era, processing string and version, LFN bases, priority).
    public func assign(_ name: String, settings: [String: JSONValue], actor: String, now: Double) throws -> RequestDocument {
        try update(name, now: now) { doc in
            if doc.state == .new { try doc.transition(to: .assignmentApproved, actor: actor, reason: "approved for assignment", at: now) }
            let validator = RequestValidator(configCache: configCache, catalog: catalog)
            let assignment = try validator.validateAssign(settings, request: doc.arguments, status: doc.state)
            try doc.body.assign(assignment, groupPriorities: groups, actor: actor, at: now)
        }
    }

    /// Folder of submissions being processed, named by the request name they will get.
    public static let processing = Layout.requestsProcessing

    /// Takes the submissions waiting in `reqmgr/incoming/` through validation.
    ///
    /// Replay-safe: each file is first renamed into `reqmgr/processing/<request name>.json` (the name is
    /// fixed then), so a crash never turns one submission into two requests. An accepted submission ends
    /// in `reqmgr/originals/<request>.json` beside its request document; a refused one in
    /// `reqmgr/rejected/<file>.submission` with a `.reason` listing every problem.
    public func processIncoming(limit: Int, actor: String, now: Double, log: Logger) throws -> CycleReport {
        var report = CycleReport()
        try spool.ensureDirectories([Self.processing])
        let scan = try spool.scan(Self.incoming, limit: limit)
        // Submissions may have any file name (spaces and all); links, folders, devices, hidden names and names
        // that are not UTF-8 are refused, and so are files over `Spool.documentSizeLimit`.
        for entry in scan.ignored where entry.problem != .unsafeName {
            log.warning("quarantined", ["file": Self.incoming + "/" + entry.name, "reason": entry.explanation])
            try spool.quarantine(entry, in: Self.incoming)
            report.quarantined += 1
        }
        for file in scan.names + scan.ignored.filter({ $0.problem == .unsafeName }).map(\.name) {
            let quarantine = { (reason: String) in
                log.warning("quarantined", ["file": Self.incoming + "/" + file, "reason": reason])
                report.quarantined += 1
            }
            guard let bytes = try spool.readQueued(file, in: Self.incoming, quarantined: quarantine) else { continue }
            let name = (try? RequestInput.parse(Data(bytes))).flatMap { input -> String? in
                let requestor = input.create["Requestor"]?.stringValue ?? RequestArguments(input.create).requestor
                let string = input.create["RequestString"]?.stringValue ?? "request"
                return try? RequestNaming.checkedName(requestor: requestor, requestString: string, at: Date(timeIntervalSince1970: now))
            } ?? "submission-" + Spool.uniqueName().replacingOccurrences(of: ".", with: "-")
            // Keep the original file name beside it, for the rejection message.
            guard try NoClobberRename.rename(spool.path(Self.incoming) + "/" + file, spool.path(Self.processing) + "/" + name + ".json") == .moved else { continue }
            try spool.publish(Array(file.utf8), as: name + ".json.source", in: Self.processing)
        }
        for claimed in try spool.scan(Self.processing).names where claimed.hasSuffix(".json") {
            let name = String(claimed.dropLast(5))
            let source = (try spool.read(claimed + ".source", in: Self.processing)).map { String(decoding: $0, as: UTF8.self) } ?? claimed
            guard let bytes = try spool.readQueued(claimed, in: Self.processing, quarantined: { _ in report.quarantined += 1 }) else { continue }
            do {
                if locate(name) == nil {
                    let request = try accept(Data(bytes), assign: false, actor: actor, now: now, name: name)
                    try spool.publish(try area.encode(request), as: claimed, in: area.folder(request.state))
                }
                _ = try spool.move(claimed, from: Self.processing, to: Self.originals)
                log.info("accepted request", ["file": source, "request": name])
                report.done += 1
            } catch let rejected as RequestRejected {
                let reason = "\(Self.incoming)/\(source): rejected:\n" + rejected.problems.map { "  - \($0)" }.joined(separator: "\n")
                var target = (Spool.isSafeName(source) ? source : name) + ".submission"
                if spool.contains(target, in: area.folder(.rejected)) { target = name + "." + target }
                try spool.publish(Array((reason + "\n").utf8), as: target + ".reason", in: area.folder(.rejected))
                _ = try NoClobberRename.rename(spool.path(Self.processing) + "/" + claimed, spool.path(area.folder(.rejected)) + "/" + target)
                try spool.syncFolder(area.folder(.rejected))
                log.warning("rejected request", ["file": source, "problems": String(rejected.problems.count)])
                report.quarantined += 1
            }
            try? spool.removeFile(claimed + ".source", in: Self.processing)
        }
        return report
    }
}
