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

    /// The agent whose records this store writes, on an agent's own spool: its records are named `<agent>@<name>`,
    /// so the global queue can withdraw them when it takes the agent's work back (`withdraw`).
    public let writer: String?

    /// Makes the store of a spool (on an agent's spool: its central spool's, `SpoolRoles.central`).
    public init(spool: Spool) {
        self.spool = SpoolRoles.central(of: spool)
        writer = SpoolRoles.role(of: spool).agentName
    }

    /// The folder of one task's records.
    public func folder(workflow: String, task: String) -> String {
        Self.area + "/" + workflow + "/" + FileKey.of(task)
    }

    /// Adds a record (named, so a replay does not add it twice) within a batch. A batch of another spool (an agent's,
    /// whose ACDC is its central spool's) cannot carry it: the record is then published at once, durable before the
    /// batch commits (effects first: a replay finds it there).
    public func add(_ record: ACDCRecord, name: String, in batch: SpoolBatch) throws {
        let name = writer.map { $0 + Self.writerSeparator + name } ?? name
        let dir = folder(workflow: record.workflow, task: record.task)
        try spool.ensureDirectories([dir])
        guard !SystemCall.exists(spool.path(dir) + "/" + name + ".json") else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if batch.spool.root == spool.root {
            try batch.publish(Array(try encoder.encode(record)), as: name + ".json", in: dir)
        } else {
            _ = try spool.publish(Array(try encoder.encode(record)), as: name + ".json", in: dir)
        }
    }

    /// Between an agent's name and a record's name.
    static let writerSeparator = "@"

    /// Moves every record `agent` wrote for `workflow` to `archive/acdc-withdrawn/<agent>/<workflow>/<task key>/`
    /// (never deleted): the global queue took the agent's work on the workflow back, and whoever does it again records
    /// its own failures. Returns how many records moved.
    public func withdraw(workflow: String, agent: String) throws -> Int {
        let base = Self.area + "/" + workflow
        var moved = 0
        for folder in try taskFolders(workflow: workflow) {
            let records = try spool.scan(base + "/" + folder).names.filter { $0.hasPrefix(agent + Self.writerSeparator) }
            guard !records.isEmpty else { continue }
            let target = Layout.withdrawnACDC(agent: agent, workflow: workflow) + "/" + folder
            try spool.ensureDirectories([target])
            try spool.inBatch { batch in
                for record in records where try batch.move(record, from: base + "/" + folder, to: target) == .moved { moved += 1 }
            }
        }
        return moved
    }

    /// Every record of a workflow, by task.
    public func records(workflow: String) throws -> [ACDCRecord] {
        let base = Self.area + "/" + workflow
        var result: [ACDCRecord] = []
        for folder in try taskFolders(workflow: workflow) {
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

    /// The task folders (`<task key>`) of a workflow's records, sorted; none when the workflow has no records.
    func taskFolders(workflow: String) throws -> [String] {
        let base = spool.path(Self.area + "/" + workflow)
        guard SystemCall.isDirectory(base) else { return [] }
        var folders: [String] = []
        try SystemCall.forEachEntry(in: base) { name, kind in
            if kind == .directory { folders.append(name) }
            return true
        }
        return folders.sorted()
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
