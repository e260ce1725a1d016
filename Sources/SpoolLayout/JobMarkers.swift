import Commands
import Foundation
import FrameworkJobReport
import JobSplitting
import SpoolKit
import WMCore

/// One marker per job that is not yet cleaned out: `wmbs/<workflow>/<subscription>/jobs/<job>.json`, the job
/// document as created, hard-linked by the job creator when it publishes the job (no second file written) and
/// discarded by the job archiver with the job's other effects, before the job enters cleanout.
///
/// So a marker whose job is in no state folder of `jobs/` is a job that vanished (removed by hand, or
/// quarantined and never brought back) while its work was unfinished. Nothing looks for that on the job path:
/// a subscription's markers are read only once it has no job in any state folder (`FilesetCloser.isIdle`), and
/// by `wmctl fsck`. A vanished job's work is then failed into ACDC (`VanishedJobs.record`), never forgotten.
public struct JobMarkers {
    /// The spool.
    public let spool: Spool
    let store: WMBSStore

    /// Makes a handle.
    public init(spool: Spool) {
        self.spool = spool
        store = WMBSStore(spool: spool)
    }

    /// Spool-relative folder of a subscription's markers.
    public func folder(_ workflow: String, _ subscription: String) -> String {
        Layout.wmbs(workflow).subscription(subscription).jobMarkers
    }

    /// The marker of a job (folder and file name), the name `JobCreatorStage` links its document under.
    public func marker(of job: JobBody) -> (directory: String, name: String) {
        (folder(job.workflow, job.subscription), job.name + ".json")
    }

    /// Job names with a marker in a subscription.
    public func jobs(_ workflow: String, _ subscription: String) throws -> [String] {
        try spool.scan(folder(workflow, subscription), order: .unordered).names.compactMap {
            $0.hasSuffix(".json") ? String($0.dropLast(5)) : nil
        }
    }

    /// The job as created, from its marker; nil when the marker is gone.
    public func job(_ name: String, workflow: String, subscription: String) throws -> JobDocument? {
        let dir = folder(workflow, subscription)
        guard let bytes = try spool.read(name + ".json", in: dir) else { return nil }
        return try Areas.jobs(spool).decode(bytes, file: dir + "/" + name + ".json").get()
    }

    /// True when a job of this name is in a state folder of `jobs/`, looked for twice (a job moving between two
    /// folders while the first look passes them is seen by the second).
    public func isInAStateFolder(_ name: String) -> Bool {
        let jobs = Areas.jobs(spool)
        let file = jobs.fileName(name)
        let look = { JobState.allCases.contains { SystemCall.exists(self.spool.path(jobs.folder($0)) + "/" + file) } }
        return look() || look()
    }

    /// Jobs of a subscription whose marker is there but whose document is in no state folder: vanished. Each is
    /// looked for in every state folder (twice) and its marker looked at again after that (a job the archiver
    /// took to cleanout meanwhile lost its marker first).
    public func vanished(_ workflow: String, _ subscription: String) throws -> [String] {
        try jobs(workflow, subscription).filter { name in
            !isInAStateFolder(name) && SystemCall.exists(spool.path(folder(workflow, subscription)) + "/" + name + ".json")
        }
    }
}

/// Records the work of vanished jobs (see `JobMarkers`), so a request never completes with a job missing and
/// no error: the job's inputs (for production, its event range) go to ACDC as an exhausted job's would, its
/// acquired files to `failed/`, and an accounting record with exit code 99402 (`JobVanished`) puts it in the
/// workflow summary's errors. A job whose attempt was accounted a success had done its work: its files are
/// completed instead, and nothing goes to ACDC. Then the marker goes. Every step is replay-safe.
public struct VanishedJobs {
    /// The spool.
    public let spool: Spool
    /// Where log lines go.
    public let log: Logger?

    /// The exit code recorded for a vanished job: the agent lost it (next to 99400/99401, lost by the batch system).
    public static let exitCode = AgentExitCode.jobVanished

    /// Makes a recorder.
    public init(spool: Spool, log: Logger?) {
        self.spool = spool
        self.log = log
    }

    /// Finds and records the vanished jobs of a subscription; returns their names.
    @discardableResult
    public func sweep(_ workflow: String, _ subscription: String, now: Double) throws -> [String] {
        let markers = JobMarkers(spool: spool)
        let names = try markers.vanished(workflow, subscription)
        guard !names.isEmpty else { return [] }
        let records = try AccountingRecords.read(spool: spool, workflow: workflow)
        for name in names.sorted() {
            guard let job = try markers.job(name, workflow: workflow, subscription: subscription) else { continue }
            try record(job.body, attempts: records.filter { $0.job == name }, now: now)
        }
        return names
    }

    /// Records one vanished job, known from its marker, given its accounted attempts.
    package func record(_ job: JobBody, attempts: [AccountingRecord], now: Double) throws {
        let store = WMBSStore(spool: spool)
        let markers = JobMarkers(spool: spool)
        let where_ = Areas.jobs(spool).whereabouts(of: job.name)
            + (SystemCall.exists(spool.path(Layout.jobsCorrupt) + "/" + job.name + ".json") ? " (a copy is in jobs/corrupt/)" : "")
        if attempts.contains(where: { $0.outcome == JobState.success.rawValue }) {
            log?.warning("vanished job had succeeded", ["job": job.name, "detail": where_])
            try spool.inBatch { try store.completeFiles(of: job, in: $0) }
        } else {
            let retry = (attempts.map(\.retry).max() ?? -1) + 1
            let details = "job \(job.name) was created but its document vanished before it reached a final state (\(where_)); "
                + "its work was failed into ACDC"
            let sub = try store.subscription(job.workflow, job.subscription)
            try spool.ensureDirectories([AccountingAreas.reports(job.workflow)])
            try spool.inBatch { batch in
                if job.knownTaskType?.keepsFailedWorkInACDC ?? true {
                    let acdc = ACDCRecord(workflow: job.workflow, task: job.task, splittingAlgorithm: sub?.algorithm ?? "FileBased",
                                          files: job.inputFiles.map { ACDCFile(job: job, file: $0) })
                    try ACDCStore(spool: spool).add(acdc, name: job.name + "-vanished", in: batch)
                }
                let record = AccountingRecord(
                    job: job.name, retry: retry, workflow: job.workflow, task: job.task, taskType: job.taskType,
                    outcome: "vanished", exitCode: Self.exitCode, step: WrapperInfo.defaultStepName,
                    errors: [.init(type: "JobVanished", exitCode: Self.exitCode, details: details)], site: job.site,
                    jobTime: nil, peakRSS: nil, events: 0, inputs: job.inputFiles.map(\.lfn),
                    runs: Array(Set(job.inputFiles.flatMap { $0.runs.map(\.run) })).sorted(), outputs: [], logArchive: nil)
                let name = "\(job.name)-vanished+1.jsonl"
                if !SystemCall.exists(spool.path(AccountingAreas.reports(job.workflow)) + "/" + name) {
                    try batch.publish(JobDocumentWriter.accountingRecord(record), as: name, in: AccountingAreas.reports(job.workflow))
                }
            }
            try store.failFiles(of: job)
            log?.error("vanished job recorded", ["job": job.name, "exitCode": String(Self.exitCode), "detail": details])
        }
        let marker = markers.marker(of: job)
        try spool.inBatch { $0.discard(marker.name, in: marker.directory) }
    }
}
