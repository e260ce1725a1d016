import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// WMBS fileset closing (the rule is WMCore's `FilesetClosing`; this applies it to the spool), and the test
/// of a finished subscription the task archiver shares.
final class FilesetCloser {
    let spool: Spool
    let log: Logger
    let store: WMBSStore
    /// `<workflowKey>-<subscription>` of every job not in cleanout, listed on first use (one listing of every
    /// job folder: a cycle with no open fileset to look at makes none).
    private var active: Set<String>?

    init(spool: Spool, log: Logger) {
        self.spool = spool
        self.log = log
        store = WMBSStore(spool: spool)
    }

    private func activeSubscriptions() throws -> Set<String> {
        if let active { return active }
        var found = Set<String>()
        let jobs = Areas.jobs(spool)
        for state in JobState.allCases where state != .cleanout {
            for file in try spool.scan(jobs.folder(state), order: .unordered).names {
                let name = file.hasSuffix(".json") ? String(file.dropLast(5)) : file
                if let prefix = JobName.subscriptionPrefix(of: name) { found.insert(String(prefix)) }
            }
        }
        active = found
        return found
    }

    /// True when a subscription has no available or acquired file and no job outside cleanout.
    ///
    /// A subscription with no job in any state folder whose jobs left markers (`JobMarkers`) has vanished jobs:
    /// their work is recorded here (`VanishedJobs`), so the subscription finishes with an error and ACDC records
    /// instead of completing silently short, or never finishing for the acquired files of a job that is gone.
    func isIdle(_ workflow: String, _ subscription: String) throws -> Bool {
        // The files first: while a subscription's jobs run it has available or acquired files, and no job folder
        // is listed. An acquired document `j<n>.json` whose job is in a state folder is enough to know (a few stats).
        let first = { (state: FileState) in try self.spool.scan(self.store.fileFolder(workflow, subscription, state), limit: 1, order: .unordered).names.first }
        guard try first(.available) == nil else { return false }
        // A pending job-group record: the job creator is publishing (or must replay) jobs whose files and markers
        // may already be in place while the job documents are not yet in a state folder — not idle, not vanished.
        let pendingGroups = Layout.wmbs(workflow).subscription(subscription).pendingJobGroups
        guard try spool.scan(pendingGroups, limit: 1, order: .unordered).names.isEmpty else { return false }
        let acquired = try first(.acquired)
        let prefix = JobName.subscriptionPrefix(workflowKey: WMBSStore.workflowKey(workflow), subscription: subscription)
        if let acquired, let number = acquired.dropFirst().split(separator: ".").first,
           JobMarkers(spool: spool).isInAStateFolder(prefix + "-" + number) {
            return false
        }
        guard try !activeSubscriptions().contains(prefix) else { return false }
        if try !VanishedJobs(spool: spool, log: log).sweep(workflow, subscription, now: WallClock.now()).isEmpty {
            return try first(.acquired) == nil && first(.available) == nil
        }
        return acquired == nil
    }

    /// Closes every fileset that may close, cascading to children; returns how many closed.
    func closeFilesets(dryRun: Bool) throws -> Int {
        var closed = 0
        // WMCore closes filesets only once the workflow is injected: every element's subscriptions exist,
        // so no producer of a fileset can still appear.
        for workflow in try store.workflows() where store.isInjected(workflow) {
            for fileset in try FilesetClosing.closing(try store.filesets(of: workflow), isIdle: { try isIdle(workflow, $0) }) {
                closed += 1
                log.info("fileset closed", ["workflow": workflow, "fileset": fileset.name])
                if !dryRun { try spool.inBatch { try store.save(fileset, workflow: workflow, in: $0) } }
            }
        }
        return closed
    }
}
