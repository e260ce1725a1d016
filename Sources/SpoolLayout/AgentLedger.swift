import Foundation
import SpoolKit
import WMCore

/// What a central spool records about each agent's work (issue 21), so that a request spread over several agents
/// ends with every event in the central catalog exactly once, even when an agent dies for good:
///
/// - **origins** (`catalog/origins/<agent>/<request>/<block key>`): a record of every block an agent uploads for a
///   request, written *before* the block is inserted. Records a completion report covered move to `reported/`.
/// - **completion reports** (`workqueue/completions/<agent>/<request>.json`): the agent finished and uploaded the work
///   of these elements, held in these blocks; the global queue marks the elements Done and files the report in
///   `archive/completions/<agent>/`.
/// - **fences** (`workqueue/fences/<agent>/<request>`): the global queue took the request's unfinished work back from
///   a silent agent. It writes the fence first, then invalidates the agent's unreported blocks, then returns the
///   elements to Available. An agent records a block's origin before inserting it and looks for a fence after, and
///   invalidates its own block when it finds one: whichever order the two interleave in, no block of fenced work
///   stays valid (the same write-then-check on both sides as Dekker's mutual exclusion).
public struct AgentLedger {
    /// The central spool.
    public let central: Spool

    /// The ledger of `spool`'s central spool (itself when it is central or all-in-one).
    public init(spool: Spool) { central = SpoolRoles.central(of: spool) }

    // MARK: Fences

    /// True when the global queue took `request`'s work back from `agent`.
    public func isFenced(agent: String, request: String) -> Bool {
        (try? Self.checkNames(agent: agent, request: request)) != nil && central.contains(request, in: Layout.fences(of: agent))
    }

    /// Fences `agent` off `request` (durable at return; a fence already there is kept as it is).
    ///
    /// - Throws: `DocumentProblem` when either name could not be one folder's or file's name (they come from documents
    ///   other programs wrote: never a path).
    public func fence(agent: String, request: String, reason: String) throws {
        try Self.checkNames(agent: agent, request: request)
        let folder = Layout.fences(of: agent)
        guard !central.contains(request, in: folder) else { return }
        try central.ensureDirectories([folder])
        _ = try central.publish(Array((reason + "\n").utf8), as: request, in: folder)
    }

    // MARK: Origins

    /// Records that `agent` uploads `block` for `request` (durable at return), unless it is recorded already.
    public func recordOrigin(agent: String, request: String, block: String) throws {
        try Self.checkNames(agent: agent, request: request)
        let folder = Layout.catalogOrigins(agent: agent, request: request), key = FileKey.of(block)
        if central.contains(key, in: folder) || central.contains(key, in: Layout.reportedCatalogOrigins(agent: agent, request: request)) { return }
        try central.ensureDirectories([folder])
        _ = try central.publish(Array((block + "\n").utf8), as: key, in: folder)
    }

    /// The blocks `agent` uploaded (or was about to) for `request` that no completion report covered: record name →
    /// block name.
    public func unreportedOrigins(agent: String, request: String) throws -> [String: String] {
        try Self.checkNames(agent: agent, request: request)
        return try origins(in: Layout.catalogOrigins(agent: agent, request: request))
    }

    /// Every block any agent uploaded for `request`, reported or not (the request's outputs in the central catalog).
    public func originBlocks(request: String) throws -> Set<String> {
        guard central.isFolder(Layout.catalogOriginsRoot) else { return [] }
        var blocks: Set<String> = []
        for agent in try subfolders(Layout.catalogOriginsRoot) {
            blocks.formUnion(try unreportedOrigins(agent: agent, request: request).values)
            blocks.formUnion(try origins(in: Layout.reportedCatalogOrigins(agent: agent, request: request)).values)
        }
        return blocks
    }

    /// Moves origin records a completion report covered to `reported/` (a record already moved is skipped).
    public func markReported(agent: String, request: String, records: [String]) throws {
        try Self.checkNames(agent: agent, request: request)
        let from = Layout.catalogOrigins(agent: agent, request: request)
        let to = Layout.reportedCatalogOrigins(agent: agent, request: request)
        try central.ensureDirectories([to])
        try central.inBatch { batch in
            for record in records where Self.isKey(record) { _ = try batch.move(record, from: from, to: to) }
        }
    }

    private func origins(in folder: String) throws -> [String: String] {
        guard central.isFolder(folder) else { return [:] }
        var result: [String: String] = [:]
        for name in try central.scan(folder).names where Self.isKey(name) {
            guard let bytes = try central.read(name, in: folder),
                  let block = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first else { continue }
            result[name] = String(block)
        }
        return result
    }

    private func subfolders(_ folder: String) throws -> [String] {
        var names: [String] = []
        try central.forEachEntry(in: folder) { name, kind in
            if kind == .directory && SpoolRoles.isValidAgentName(name) { names.append(name) }
            return true
        }
        return names.sorted()
    }

    // MARK: Completion reports

    /// An agent's report that it finished the work of some elements of a request and uploaded all of it.
    public struct CompletionReport: Codable, Equatable, Sendable {
        /// The agent.
        public var agent: String
        /// The request.
        public var request: String
        /// The elements whose work is finished and uploaded.
        public var elements: [String]
        /// The origin records (`catalog/origins/<agent>/<request>/`) of the blocks holding that work.
        public var blocks: [String]
        /// When the agent wrote it.
        public var time: Double
        /// Each element's final progress (jobs succeeded and failed, events), by element name.
        public var progress: [String: ElementProgress]?

        /// Makes a report.
        public init(agent: String, request: String, elements: [String], blocks: [String], time: Double,
                    progress: [String: ElementProgress]? = nil) {
            (self.agent, self.request, self.elements, self.blocks, self.time, self.progress) = (agent, request, elements, blocks, time, progress)
        }
    }

    /// True when `agent` has a report for `request` the global queue has not applied yet.
    public func hasPendingCompletion(agent: String, request: String) -> Bool {
        (try? Self.checkNames(agent: agent, request: request)) != nil && central.contains(request + ".json", in: Layout.completions(of: agent))
    }

    /// Publishes a completion report (durable at return).
    public func submit(_ report: CompletionReport) throws {
        try Self.checkNames(agent: report.agent, request: report.request)
        let folder = Layout.completions(of: report.agent)
        try central.ensureDirectories([folder])
        _ = try central.publish(try encodeDocument(report), as: report.request + ".json", in: folder)
    }

    /// Every pending completion report: its folder, file name and content, or the reason it cannot be read.
    public func pendingCompletions() throws -> [(folder: String, file: String, report: Result<CompletionReport, DocumentProblem>)] {
        guard central.isFolder(Layout.completionsRoot) else { return [] }
        var result: [(folder: String, file: String, report: Result<CompletionReport, DocumentProblem>)] = []
        for agent in try subfolders(Layout.completionsRoot) {
            let folder = Layout.completions(of: agent)
            for file in try central.scan(folder).names.sorted() {
                guard let bytes = try central.read(file, in: folder) else { continue }
                do {
                    let report = try decodeDocument(CompletionReport.self, bytes, file: folder + "/" + file)
                    guard report.agent == agent, report.request + ".json" == file else {
                        throw DocumentProblem("\(folder)/\(file): field 'agent' or 'request' (\(report.agent), \(report.request)) does not match where it lies")
                    }
                    result.append((folder, file, .success(report)))
                } catch let problem as DocumentProblem {
                    result.append((folder, file, .failure(problem)))
                } catch {
                    result.append((folder, file, .failure(DocumentProblem("\(folder)/\(file): \(error)"))))
                }
            }
        }
        return result
    }

    /// Files an applied report in `archive/completions/<agent>/<request>.<time>.json` (never deleted).
    public func archive(_ file: String, of agent: String, time: Double) throws {
        let target = Layout.appliedCompletions(of: agent)
        try central.ensureDirectories([target])
        let stem = file.hasSuffix(".json") ? String(file.dropLast(5)) : file
        try central.inBatch { batch in
            _ = try batch.move(file, from: Layout.completions(of: agent), to: target, as: "\(stem).\(Int(time * 1000)).json")
        }
    }

    /// Refuses an agent name that is not one (`SpoolRoles.isValidAgentName`) and a request name that could not be one
    /// file's name (empty, with `/`, starting with `.`, over 255 bytes).
    static func checkNames(agent: String, request: String) throws {
        guard SpoolRoles.isValidAgentName(agent) else {
            throw DocumentProblem("agent name '\(agent)': expected \(SpoolRoles.agentNamePattern)")
        }
        guard !request.isEmpty, request.utf8.count <= 200, !request.contains("/"), !request.hasPrefix("."), !request.contains("\0") else {
            throw DocumentProblem("request name '\(request)': expected one file name (no '/', not starting with '.', at most 200 bytes)")
        }
    }

    /// True when `name` has the form of a `FileKey` (`f` and 16 hexadecimal digits): anything else in an origins
    /// folder is not a record.
    static func isKey(_ name: String) -> Bool {
        name.utf8.count == 17 && name.first == "f" && name.utf8.dropFirst().allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
