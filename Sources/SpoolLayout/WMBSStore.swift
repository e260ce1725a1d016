import Foundation
import JobSplitting
import SpoolKit
import WMCore

/// WMBS on the spool: `wmbs/<workflow>/` holds the workflow's subscriptions (one folder each, with
/// `subscription.json` and the file folders `available/`, `acquired/`, `completed/`, `failed/`, plus
/// `jobgroups/pending|done/`) and `filesets/<key>.json`. The file folders hold file documents and bundles
/// (`WMBSFiles.swift`).
public struct WMBSStore: Sendable {
    /// The spool.
    public let spool: Spool
    /// The area folder.
    public static let area = Layout.wmbsRoot

    /// Makes a store over a spool.
    public init(spool: Spool) { self.spool = spool }

    /// Spool-relative folder of a workflow.
    public func workflowFolder(_ workflow: String) -> String { Layout.wmbs(workflow).root }
    /// Spool-relative folder of a subscription.
    public func subscriptionFolder(_ workflow: String, _ subscription: String) -> String { Layout.wmbs(workflow).subscription(subscription).root }
    /// Spool-relative folder of a subscription's files in one state.
    public func fileFolder(_ workflow: String, _ subscription: String, _ state: FileState) -> String {
        Layout.wmbs(workflow).subscription(subscription).files(state)
    }

    /// Workflows with WMBS state, sorted.
    public func workflows() throws -> [String] {
        var names: [String] = []
        let dir = spool.path(Self.area)
        guard SystemCall.isDirectory(dir) else { return [] }
        try SystemCall.forEachEntry(in: dir) { name, kind in
            if kind == .directory && Spool.isSafeName(name) { names.append(name) }
            return true
        }
        return names.sorted()
    }

    /// The subscriptions of a workflow, sorted by name.
    public func subscriptions(of workflow: String) throws -> [Subscription] {
        var result: [Subscription] = []
        let dir = spool.path(workflowFolder(workflow))
        var names: [String] = []
        try SystemCall.forEachEntry(in: dir) { name, kind in
            if kind == .directory && !Layout.workflowFoldersThatAreNotSubscriptions.contains(name) && Spool.isSafeName(name) { names.append(name) }
            return true
        }
        for name in names.sorted() {
            if let sub = try subscription(workflow, name) { result.append(sub) }
        }
        return result
    }

    /// One subscription, or nil when it does not exist.
    public func subscription(_ workflow: String, _ name: String) throws -> Subscription? {
        try readJSON(Subscription.self, Layout.SubscriptionFolders.documentName, in: subscriptionFolder(workflow, name))
    }

    /// A fileset, or nil when it does not exist.
    public func fileset(_ workflow: String, _ name: String) throws -> Fileset? {
        try readJSON(Fileset.self, FileKey.of(name) + ".json", in: Layout.wmbs(workflow).filesets)
    }

    /// Every fileset of a workflow.
    public func filesets(of workflow: String) throws -> [Fileset] {
        let folder = Layout.wmbs(workflow).filesets
        return try spool.scan(folder).names.compactMap { try readJSON(Fileset.self, $0, in: folder) }
    }

    /// Creates a workflow's subscriptions and filesets (those that do not exist yet), in one batch.
    public func create(workflow: String, subscriptions: [Subscription], filesets: [Fileset], in batch: SpoolBatch) throws {
        for sub in subscriptions {
            let folder = subscriptionFolder(workflow, sub.name)
            let folders = Layout.SubscriptionFolders(root: folder)
            try spool.ensureDirectories(FileState.allCases.map { folders.files($0) } + [folders.pendingJobGroups, folders.doneJobGroups])
            if !SystemCall.exists(spool.path(folder) + "/" + Layout.SubscriptionFolders.documentName) {
                try batch.publish(try Self.encode(sub), as: Layout.SubscriptionFolders.documentName, in: folder)
            }
        }
        let fsFolder = Layout.wmbs(workflow).filesets
        try spool.ensureDirectories([fsFolder])
        for fs in filesets {
            guard var existing = try fileset(workflow, fs.name) else {
                try batch.publish(try Self.encode(fs), as: FileKey.of(fs.name) + ".json", in: fsFolder)
                continue
            }
            // Another element of the workflow shares this fileset: it gains the new producers and consumers.
            let producers = fs.producers.filter { !existing.producers.contains($0) }
            let consumers = fs.consumers.filter { !existing.consumers.contains($0) }
            guard !producers.isEmpty || !consumers.isEmpty else { continue }
            existing.producers += producers
            existing.consumers += consumers
            if !producers.isEmpty { existing.open = true }
            try save(existing, workflow: workflow, in: batch)
        }
    }

    /// Rewrites a subscription document (e.g. with a new request priority); nothing is written if it is gone.
    public func save(_ subscription: Subscription, in batch: SpoolBatch) throws {
        try batch.replaceContent(of: Layout.SubscriptionFolders.documentName, in: subscriptionFolder(subscription.workflow, subscription.name),
                                 with: try Self.encode(subscription))
    }

    /// Rewrites a fileset document (e.g. to close it).
    public func save(_ fileset: Fileset, workflow: String, in batch: SpoolBatch) throws {
        try batch.replaceContent(of: FileKey.of(fileset.name) + ".json", in: Layout.wmbs(workflow).filesets, with: try Self.encode(fileset))
    }

    /// Records that every element of the workflow is injected (WMCore's "workflow injected" flag):
    /// filesets may close only after this.
    public func markInjected(_ workflow: String) throws {
        let folder = workflowFolder(workflow)
        guard !isInjected(workflow) else { return }
        do {
            _ = try spool.publish(Array("injected\n".utf8), as: "injected", in: folder)
        } catch where !spool.isFolder(folder) {
            // The task archiver closed the workflow (and removed its folder) since the caller listed it: nothing to mark.
        }
    }

    /// True once every element of the workflow is injected.
    public func isInjected(_ workflow: String) -> Bool {
        SystemCall.exists(spool.path(Layout.wmbs(workflow).injectedMarker))
    }

    /// Reads and decodes a JSON document; nil when absent.
    package func readJSON<T: Decodable>(_ type: T.Type, _ name: String, in folder: String) throws -> T? {
        guard let bytes = try spool.read(name, in: folder) else { return nil }
        return try decode(T.self, bytes, file: folder + "/" + name)
    }

    /// Decodes a JSON document, explaining failures with the file and field.
    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], file: String, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch {
            throw DocumentProblem(describeDecodingError(error, file: file))
        }
    }

    /// Encodes a document with sorted keys and a final newline.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        // File documents are the most numerous: the fast writer makes the same bytes as JSONEncoder.
        if let file = value as? SplitFile { return JobDocumentWriter.file(file) + [UInt8(ascii: "\n")] }
        return try encodeDocument(value)
    }

    /// A short stable key of a workflow name, used as the first part of its job names.
    public static func workflowKey(_ workflow: String) -> String {
        String(FileKey.of(workflow).dropFirst().prefix(8))
    }
}
