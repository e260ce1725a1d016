import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// What a job still had to do, kept in ACDC so `wmctl request resubmit` can redo it: jobs whose retries are
/// exhausted (the error handler) and jobs killed before they finished (the job killer), as in WMCore.
/// LogCollect and Cleanup jobs leave no record.
struct UnfinishedWork {
    /// The spool.
    let spool: Spool

    /// The ACDC record of a job's input (nil for a task type that keeps no failed work).
    func record(of job: JobDocument) throws -> ACDCRecord? {
        guard job.knownTaskType?.keepsFailedWorkInACDC ?? true else { return nil }
        let algorithm = (try? WMBSStore(spool: spool).subscription(job.workflow, job.subscription))??.algorithm ?? "FileBased"
        let catalog = CatalogStore(spool: spool)
        return ACDCRecord(workflow: job.workflow, task: job.task, splittingAlgorithm: algorithm,
                          files: try job.inputFiles.map { ACDCFile(job: job.body, file: $0, catalogLumis: try catalog.lumis(of: $0.lfn)) })
    }

    /// Adds the job's record, named after the job (a replay adds nothing twice), within a batch.
    func keep(_ job: JobDocument, name: String, in batch: SpoolBatch) throws {
        guard let record = try record(of: job) else { return }
        try ACDCStore(spool: spool).add(record, name: name, in: batch)
    }
}
