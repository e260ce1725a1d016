import Foundation
import SpoolKit
import WMCore

/// The work-queue elements on the spool: `workqueue/<Status>/<id>.json`, plus each request's workload
/// in `workqueue/workloads/<request>.json` (what the local queues inject into WMBS).
public struct ElementStore {
    /// The spool.
    public let spool: Spool
    /// The elements area.
    public let area: DocumentArea<ElementBody>
    /// Folder of workloads.
    public static let workloads = Layout.workloads

    /// Makes a store.
    public init(spool: Spool) {
        self.spool = SpoolRoles.central(of: spool)
        area = Areas.elements(spool)
    }

    /// Creates the folders.
    public func ensureFolders() throws {
        try area.ensureFolders()
        try spool.ensureDirectories([Self.workloads])
    }

    /// Every element in the given statuses (all statuses by default), read and reconciled.
    public func elements(in statuses: [ElementStatus] = ElementStatus.allCases, now: Double = SystemCall.now()) throws -> [ElementDocument] {
        var result: [ElementDocument] = []
        for status in statuses {
            for name in try area.scan(status) {
                if case .document(let doc) = try area.load(name, in: status, now: now) { result.append(doc) }
            }
        }
        return result
    }

    /// The elements of one request.
    public func elements(ofRequest request: String) throws -> [ElementDocument] {
        guard SystemCall.isDirectory(spool.path(Layout.elements)) else { return [] }
        return try elements().filter { $0.requestName == request }
    }

    /// The elements of a finished request, from `archive/elements/<request>/`.
    public func archivedElements(ofRequest request: String) throws -> [ElementDocument] {
        let folder = Layout.archivedElements(request)
        return try spool.scan(folder).names.compactMap { file in
            guard let bytes = try spool.read(file, in: folder), case .success(let doc) = area.decode(bytes, file: folder + "/" + file) else { return nil }
            return doc
        }
    }

    /// The stored workload of a request.
    public func workload(_ request: String) throws -> Workload? {
        guard let bytes = try spool.read(request + ".json", in: Self.workloads) else { return nil }
        do {
            return try JSONDecoder().decode(Workload.self, from: Data(bytes))
        } catch {
            throw DocumentProblem(describeDecodingError(error, file: Self.workloads + "/" + request + ".json"))
        }
    }

    /// Moves an element to its new state (recorded by the caller) with its new content.
    public func save(_ element: ElementDocument, from status: ElementStatus, in batch: SpoolBatch) throws -> Bool {
        let file = area.fileName(element.name)
        if element.state == status {
            try batch.replaceContent(of: file, in: area.folder(status), with: try area.encode(element))
            return true
        }
        return try batch.moveReplacingContent(file, from: area.folder(status), to: area.folder(element.state),
                                              with: try area.encode(element)) == .moved
    }
}
