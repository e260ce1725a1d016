import BatchSystems
import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// The pass over `jobs/executing/` that the submitter (to count slots) and the tracker (to poll)
/// both make. It first repairs the one gap a crash can leave: a job moved to `executing/` whose
/// rewrite (batch id and site) was lost. The batch id is found again through the plugins'
/// `findSubmission`, by the job's idempotency key.
struct ExecutingJobs {
    let area: DocumentArea<JobBody>
    let plugins: BatchPlugins
    let actor: String

    /// Runs `visit` on every executing job (after repair), or on the named ones only, moving or rewriting it as
    /// `TransitionPass` does.
    func pass(_ context: StageContext, only names: [String]? = nil, visit: (inout JobDocument) throws -> Bool) throws -> CycleReport {
        let pass = TransitionPass(area: area, actor: actor)
        let names = try names ?? area.scan(.executing, log: context.log)
        return try pass.run(names[...], in: .executing, batchSize: context.options.batchSize, context: context) { doc in
            let repaired = try repairBatchID(&doc, now: context.now(), log: context.log)
            let changed = try visit(&doc)
            return repaired || changed
        }
    }

    /// Finds the batch id of a job that has none (its site first, then its possible sites). True when found.
    func repairBatchID(_ doc: inout JobDocument, now: Double, log: Logger) throws -> Bool {
        guard doc.batchID == nil else { return false }
        var seen: Set<String> = []
        for site in ([doc.site].compactMap { $0 } + doc.possibleSites) where seen.insert(site).inserted {
            guard plugins.configuration.site(named: site) != nil else { continue }
            if let id = try plugins.plugin(for: site).findSubmission(doc.submissionKey) {
                doc.batchID = id
                doc.site = site
                if !doc.hasBatchStatus { doc.recordBatchStatus(.pending, at: now) }
                log.info("recovered batch id", ["job": doc.name, "site": site, "batchID": id])
                return true
            }
        }
        return false
    }
}
