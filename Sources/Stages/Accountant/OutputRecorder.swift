import Foundation
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// Writes what the accountant decided for a batch of jobs, idempotently: LFN markers, fileset files, DBS
/// buffer files, ACDC records and accounting records are published only when absent; storage moves are
/// renames that a replay finds already done, and failed inputs are found wherever they are.
struct OutputRecorder {
    let spool: Spool
    let store: WMBSStore
    let registry: LFNRegistry

    init(spool: Spool) {
        self.spool = spool
        store = WMBSStore(spool: spool)
        registry = LFNRegistry(spool: spool)
    }

    /// Stages (or makes) every effect of the plans in `batch`.
    func record(_ plans: [JobAccounting], in batch: SpoolBatch) throws {
        var folders = Set<String>()
        for workflow in Set(plans.map(\.workflow)) {
            folders.insert(registry.folder(workflow))
            folders.insert(AccountingAreas.reports(workflow))
        }
        if plans.contains(where: { !$0.dbsFiles.isEmpty }) { folders.insert(AccountingAreas.dbsBufferFiles) }
        try spool.ensureDirectories(folders.sorted())
        for plan in plans {
            try moveOnStorage(plan.storageMoves)
            // Skipped inputs leave the job's acquired document for failed/s<job>-<retry>.json (a commit of their own).
            try store.failSkippedInputs(Set(plan.failedInputKeys), job: plan.job, attempt: plan.owner,
                                        workflow: plan.workflow, subscription: plan.subscription)
            // Staged before the files below, so a claim that is absent means its files are too.
            for lfn in plan.claims {
                try registry.claim(lfn, owner: plan.owner, workflow: plan.workflow, in: batch)
            }
            for file in plan.dbsFiles {
                let name = FileKey.of(file.lfn) + ".json"
                let known = !plan.newOutputs.contains(file.lfn)
                    && AccountingAreas.dbsBufferFileFolders.contains { spool.contains(name, in: $0) }
                if !known { try batch.publish(try encodeDocument(file), as: name, in: AccountingAreas.dbsBufferFiles) }
            }
            if let acdc = plan.acdc {
                // Through the ACDC store, so `wmctl acdc ls` and resubmissions find skipped inputs too.
                try ACDCStore(spool: spool).add(acdc, name: plan.owner, in: batch)
            }
        }
        try recordReports(plans, in: batch)
        // One fileset read per (workflow, fileset) for the whole batch.
        var byFileset: [String: (workflow: String, fileset: String, files: [SplitFile])] = [:]
        var newFiles = Set<String>()
        for plan in plans {
            newFiles.formUnion(plan.newOutputs)
            for (fileset, file) in plan.filesetFiles {
                byFileset[plan.workflow + "\u{0}" + fileset, default: (plan.workflow, fileset, [])].files.append(file)
            }
        }
        for (_, entry) in byFileset.sorted(by: { $0.key < $1.key }) {
            try store.add(entry.files, toFileset: entry.fileset, workflow: entry.workflow, in: batch, new: newFiles)
        }
    }

    /// One JSON-lines file of accounting records per (batch, workflow), named by its first attempt and count,
    /// so a replay of the same batch finds it; a replay of a different batch may repeat a record, which
    /// `AccountingRecords.read` drops (one record per job attempt).
    private func recordReports(_ plans: [JobAccounting], in batch: SpoolBatch) throws {
        for (workflow, list) in Dictionary(grouping: plans, by: \.workflow) {
            var lines: [UInt8] = []
            for plan in list { lines += JobDocumentWriter.accountingRecord(plan.record) }
            try publishIfAbsent(lines, as: "\(list[0].owner)+\(list.count).jsonl", in: AccountingAreas.reports(workflow), batch)
        }
    }

    private func publishIfAbsent(_ bytes: [UInt8], as name: String, in folder: String, _ batch: SpoolBatch) throws {
        if !spool.contains(name, in: folder) { try batch.publish(bytes, as: name, in: folder) }
    }

    /// Moves straight-to-merge files to their merged LFN on the same storage node; a replay finds the source
    /// gone and the target present. Durable when the spool is.
    private func moveOnStorage(_ moves: [(from: String, to: String)]) throws {
        for move in moves {
            do {
                try NoClobberRename.relocate(move.from, to: move.to, durable: spool.durability == .full)
            } catch let missing as NoClobberRename.MissingFile {
                throw DocumentProblem("\(missing.from): output file missing on storage; expected it (or \(missing.to)) to exist")
            }
        }
    }
}
