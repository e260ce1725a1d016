import Foundation
import SpoolKit
import WMCore

/// ACDC on the spool: what failed and is still to do, per workflow and task:
/// `acdc/<workflow>/<task key>/<record>.json`, each an `ACDCRecord`. A Resubmission request reads the
/// merged records of one task (`wmctl acdc ls`, `wmctl request resubmit`).
public struct ACDCStore {
    /// The spool.
    public let spool: Spool
    /// The area folder.
    public static let area = Layout.acdc

    /// Makes the store of a spool (on an agent's spool: its central spool's, `SpoolRoles.central`).
    public init(spool: Spool) { self.spool = SpoolRoles.central(of: spool) }

    /// The folder of one task's records.
    public func folder(workflow: String, task: String) -> String {
        Self.area + "/" + workflow + "/" + FileKey.of(task)
    }

    /// Adds a record (named, so a replay does not add it twice) within a batch.
    public func add(_ record: ACDCRecord, name: String, in batch: SpoolBatch) throws {
        let dir = folder(workflow: record.workflow, task: record.task)
        try spool.ensureDirectories([dir])
        guard !SystemCall.exists(spool.path(dir) + "/" + name + ".json") else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try batch.publish(Array(try encoder.encode(record)), as: name + ".json", in: dir)
    }

    /// Every record of a workflow, by task.
    public func records(workflow: String) throws -> [ACDCRecord] {
        let base = Self.area + "/" + workflow
        guard SystemCall.isDirectory(spool.path(base)) else { return [] }
        var result: [ACDCRecord] = []
        var folders: [String] = []
        try SystemCall.forEachEntry(in: spool.path(base)) { name, kind in
            if kind == .directory { folders.append(name) }
            return true
        }
        for folder in folders.sorted() {
            for file in try spool.scan(base + "/" + folder).names {
                guard let bytes = try spool.read(file, in: base + "/" + folder) else { continue }
                let record: ACDCRecord
                do {
                    record = try JSONDecoder().decode(ACDCRecord.self, from: Data(bytes))
                } catch {
                    throw DocumentProblem(describeDecodingError(error, file: base + "/" + folder + "/" + file))
                }
                if let problem = record.files.lazy.compactMap(\.problem).first {
                    throw DocumentProblem("\(base)/\(folder)/\(file): \(problem)")
                }
                result.append(record)
            }
        }
        return result
    }

    /// The merged record of one task: all its failed files (a file listed twice appears once).
    public func merged(workflow: String, task: String) throws -> ACDCRecord? {
        let records = try records(workflow: workflow).filter { $0.task == task }
        guard let first = records.first else { return nil }
        var seen: Set<String> = []
        var files: [ACDCFile] = []
        for record in records {
            for file in record.files where seen.insert(file.lfn + "|" + String(describing: file.mask)).inserted { files.append(file) }
        }
        return ACDCRecord(workflow: workflow, task: task, splittingAlgorithm: first.splittingAlgorithm, files: files)
    }

    /// The record an element refers to (collection = the original workflow, fileset = the task path).
    public func record(for reference: ACDCReference) throws -> ACDCRecord? {
        try merged(workflow: reference.collection, task: reference.fileset)
    }
}
