import BatchSystems
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// Kills jobs: executing ones through their site's batch plugin first, then every one is moved to
/// `killed/` (the job archiver takes them on to `cleanout`). Used by `wmctl job kill` and by the local
/// queue when a request is aborted.
public struct JobKiller {
    /// The spool.
    public let spool: Spool
    /// Plugins by site (nil: the standard ones from the site configuration).
    public var plugins: BatchPlugins?

    /// Makes a killer.
    public init(spool: Spool, plugins: BatchPlugins? = nil) {
        self.spool = spool
        self.plugins = plugins
    }

    /// Kills the given jobs; returns how many reached `killed/`. Each killed job's input goes to ACDC (its work is
    /// unfinished), so the work can be resubmitted.
    @discardableResult
    public func kill(_ jobs: [(name: String, state: JobState, job: JobDocument)], actor: String, reason: String, now: Double) throws -> Int {
        let area = Areas.jobs(spool)
        let executing = jobs.filter { $0.state == .executing }
        if !executing.isEmpty {
            let plugins = try self.plugins ?? BatchPlugins(spool: spool, configuration: try ExecutionLayout.siteConfiguration(spool: spool))
            var bySite: [String: [String]] = [:]
            for entry in executing {
                if let site = entry.job.site, let id = entry.job.batchID { bySite[site, default: []].append(id) }
            }
            for (site, ids) in bySite { try plugins.plugin(for: site).kill(ids) }
        }
        var moved = 0
        let unfinished = UnfinishedWork(spool: spool)
        try spool.inBatch { batch in
            for var entry in jobs where entry.state.canMove(to: .killed) && entry.state != .killed {
                try unfinished.keep(entry.job, name: entry.name, in: batch)
                try entry.job.transition(to: .killed, actor: actor, reason: reason, at: now)
                if try batch.moveReplacingContent(area.fileName(entry.name), from: area.folder(entry.state), to: area.folder(.killed),
                                                  with: try area.encode(entry.job)) == .moved { moved += 1 }
            }
        }
        return moved
    }

    /// Every job of a workflow that is not yet killed or finished (job names start with the workflow's key).
    public func liveJobs(ofWorkflow workflow: String, now: Double) throws -> [(name: String, state: JobState, job: JobDocument)] {
        let area = Areas.jobs(spool)
        let prefix = WMBSStore.workflowKey(workflow) + "-"  // every JobName of the workflow starts so
        var result: [(name: String, state: JobState, job: JobDocument)] = []
        for state in JobState.allCases where state.canMove(to: .killed) && state != .killed {
            for name in try area.scan(state) where name.hasPrefix(prefix) {
                if case .document(let job) = try area.load(name, in: state, now: now), job.workflow == workflow {
                    result.append((name, state, job))
                }
            }
        }
        return result
    }
}
