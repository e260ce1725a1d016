import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-taskarchiver`: closes workflows whose subscriptions have all finished (input fileset closed, nothing
/// available or acquired, no job outside cleanout) — WMCore's TaskArchiver with the workload summary.
///
/// For each such workflow: the summary (output datasets, errors per task/step/exit code with example logs,
/// performance histograms, retries, and the account of the request's outputs) is written to
/// `archive/summaries/<workflow>.json` and `.txt`; the account itself (expected, output, ACDC, missing,
/// duplicated per output dataset) to `archive/accounts/<workflow>.json`, after work missing from the outputs
/// entirely without an ACDC record has been recorded in ACDC (`RequestAccounting`); the DBS
/// buffer learns the workflow completed (`dbsbuffer/completed/<workflow>`, so its open blocks close); the
/// request moves on to `completed` (`reqmgr/<status>/`); and, once all that is durable, `wmbs/<workflow>/`
/// is removed.
///
/// On an agent's own spool (`SpoolRole.agent`) a request's work is spread over several agents, so the agent neither
/// accounts nor completes the request: once its part is finished (every subscription idle) and every DBS-buffer file
/// of it is in the central catalog, it sends the global queue a completion report naming its Running elements of the
/// request and the blocks it uploaded for them (`AgentLedger`); the global queue marks them Done, and accounts and
/// completes the request when all its elements are Done. The agent keeps `wmbs/<workflow>/` (an element the global
/// queue takes back from a dead agent may still come to it) until the request is finished centrally, then writes the
/// workflow's summary and removes it.
public struct TaskArchiverStage: StageCycle {
    public let name = "wm-taskarchiver"
    /// Where summaries go.
    public static let summaries = Layout.summaries

    /// Makes the stage.
    public init() {}

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let store = WMBSStore(spool: context.spool)
        let closer = FilesetCloser(spool: context.spool, log: context.log)
        var report = CycleReport()
        if let agent = SpoolRoles.role(of: context.spool).agentName {
            return try runAgentCycle(agent: agent, store: store, closer: closer, context: context)
        }
        for workflow in try store.workflows() {
            if StopSignal.isRequested { break }
            // A workflow still running waits for the other stages: it is not this stage's backlog.
            guard try isFinished(workflow, store: store, closer: closer) else { continue }
            if context.options.dryRun {
                context.log.info("would close workflow", ["workflow": workflow])
                report.backlog += 1
                continue
            }
            try close(workflow, context: context)
            report.done += 1
        }
        return report
    }

    /// The cycle on an agent's own spool: completion reports for finished parts, the final close of workflows whose
    /// requests are finished centrally.
    func runAgentCycle(agent: String, store: WMBSStore, closer: FilesetCloser, context: StageContext) throws -> CycleReport {
        var report = CycleReport()
        let workflows = try store.workflows()
        guard !workflows.isEmpty else { return report }
        let ledger = AgentLedger(spool: context.spool)
        let requests = Areas.requests(context.spool)
        // This agent's elements, read before any workflow is judged finished: an element injected after this read
        // is not reported by this cycle, and one injected before it has its subscriptions in WMBS already.
        let elementStore = ElementStore(spool: context.spool)
        let mine = Dictionary(grouping: try elementStore.elements(in: [.acquired, .running], now: context.now())
            .filter { $0.agent == agent }, by: \.requestName)
        var notInCatalog: [String: Int]?
        for workflow in workflows {
            if StopSignal.isRequested { break }
            guard try isFinished(workflow, store: store, closer: closer) else { continue }
            let owned = mine[workflow] ?? []
            let pending = ledger.hasPendingCompletion(agent: agent, request: workflow)
            if owned.isEmpty && !pending {
                // Nothing of the request is this agent's any more: close it once the request is finished centrally.
                let status = RequestStatus.allCases.first { requests.spool.contains(requests.fileName(workflow), in: requests.folder($0)) }
                guard let status, GlobalWorkQueueStage.finishedStatuses.contains(status) else { continue }
                if context.options.dryRun {
                    context.log.info("would close workflow", ["workflow": workflow, "request": status.rawValue])
                    continue
                }
                try close(workflow, context: context, accountAndComplete: false)
                report.done += 1
                continue
            }
            guard !pending, !ledger.isFenced(agent: agent, request: workflow) else { continue }
            let running = owned.filter { $0.state == .running }
            guard !running.isEmpty else { continue }
            if context.options.dryRun {
                context.log.info("would report elements finished", ["workflow": workflow, "elements": String(running.count)])
                report.backlog += 1
                continue
            }
            try context.spool.ensureDirectories([AccountingAreas.dbsBufferCompleted])
            if !context.spool.contains(workflow, in: AccountingAreas.dbsBufferCompleted) {
                // Its open blocks close and go to the catalog now.
                _ = try context.spool.publish(Array("\(context.now())\n".utf8), as: workflow, in: AccountingAreas.dbsBufferCompleted)
            }
            // The DBS buffer is read once per cycle, and only when a report may be due.
            if notInCatalog == nil { notInCatalog = try filesNotInCatalog(spool: context.spool) }
            guard notInCatalog?[workflow, default: 0] == 0 else {
                report.backlog += 1
                continue
            }
            let origins = try ledger.unreportedOrigins(agent: agent, request: workflow)
            var records: [String: [AccountingRecord]] = [:]
            var workloads: [String: Workload?] = [:]
            var progress: [String: ElementProgress] = [:]
            for element in running {
                progress[element.name] = try LocalWorkQueueStage.progress(of: element.body, store: elementStore, spool: context.spool,
                                                                          records: &records, workloads: &workloads)
            }
            try ledger.submit(AgentLedger.CompletionReport(agent: agent, request: workflow, elements: running.map(\.name).sorted(),
                                                           blocks: origins.keys.sorted(), time: context.now(), progress: progress))
            context.log.info("reported finished elements to the global queue", ["workflow": workflow, "elements": String(running.count),
                                                                               "blocks": String(origins.count)])
            report.done += 1
        }
        return report
    }

    /// How many DBS-buffer files of each workflow are not in the catalog yet (new or in a block not uploaded).
    func filesNotInCatalog(spool: Spool) throws -> [String: Int] {
        var count: [String: Int] = [:]
        for folder in [AccountingAreas.dbsBufferFiles, AccountingAreas.dbsBufferAssigned] where spool.isFolder(folder) {
            for name in try spool.scan(folder).names {
                guard let bytes = try spool.read(name, in: folder) else { continue }
                count[try decodeDocument(DBSBufferFile.self, bytes, file: folder + "/" + name).workflow, default: 0] += 1
            }
        }
        return count
    }

    /// True when every subscription of the workflow has finished.
    func isFinished(_ workflow: String, store: WMBSStore, closer: FilesetCloser) throws -> Bool {
        // Only an injected workflow can be finished (WMCore's TaskArchiver looks at injected workflows only):
        // while the local queue is still injecting, subscriptions may exist before their filesets and files do.
        guard store.isInjected(workflow) else { return false }
        let subscriptions = try store.subscriptions(of: workflow)
        guard !subscriptions.isEmpty else { return false }
        for sub in subscriptions {
            // A fileset not written yet is not a closed one.
            guard let input = try store.fileset(workflow, sub.inputFileset), !input.open else { return false }
            if try !closer.isIdle(workflow, sub.name) { return false }
        }
        return true
    }

    /// Writes the summary, marks the workflow completed for the DBS buffer, completes the request, removes WMBS.
    /// With `accountAndComplete` false (an agent's own spool: the global queue accounts and completes requests) only
    /// the summary is written before WMBS goes.
    func close(_ workflow: String, context: StageContext, accountAndComplete: Bool = true) throws {
        let spool = context.spool
        let now = context.now()
        let records = try AccountingRecords.read(spool: spool, workflow: workflow)
        var summary = WorkflowSummary(workflow: workflow, records: records, now: now)
        // The account needs the request's workload (what was expected); a workflow without one closes unaccounted, loudly.
        let accounting = RequestAccounting(spool: spool)
        var account: RequestAccount?
        let workload = try ElementStore(spool: spool).workload(workflow)
        if !accountAndComplete {
            context.log.info("workflow's part on this agent closed: the global queue accounts the request", ["workflow": workflow])
        } else if let workload {
            if workload.topLevelTasks.contains(where: { if case .tier0Streamers = $0.input { return true } else { return false } }) {
                // Each primary dataset of a repack or express holds only the events whose paths fired: no request account.
                context.log.info("Tier-0 stream workflow: accounted by its run's streamers, not by a request account", ["workflow": workflow])
            } else {
                account = try accounting.close(workflow, now: now)
            }
        } else {
            context.log.warning("no workload: the request's account cannot be computed", ["workflow": workflow])
        }
        summary.account = account
        if let account, !account.isAccepted {
            context.log.warning("request incomplete", ["workflow": workflow, "account": account.verdict.rawValue,
                                                      "see": "wmctl request account \(workflow)"])
        }
        try spool.ensureDirectories([Self.summaries, AccountingAreas.dbsBufferCompleted, RequestAccounting.area])
        try spool.inBatch { batch in
            if let account, !spool.contains(workflow + ".json", in: RequestAccounting.area) {
                try batch.publish(try RequestAccounting.encoded(account), as: workflow + ".json", in: RequestAccounting.area)
            }
            if !spool.contains(workflow + ".json", in: Self.summaries) {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                try batch.publish(Array(try encoder.encode(summary)) + [10], as: workflow + ".json", in: Self.summaries)
                try batch.publish(Array(summary.text.utf8), as: workflow + ".txt", in: Self.summaries)
            }
            if !spool.contains(workflow, in: AccountingAreas.dbsBufferCompleted) {
                try batch.publish(Array("\(now)\n".utf8), as: workflow, in: AccountingAreas.dbsBufferCompleted)
            }
        }
        if accountAndComplete {
            try markElementsDone(workflow, context: context)
            // A Tier-0 workflow is made by the feeder, not requested: it has no request to complete.
            if workload?.requestType.isTier0 != true { try completeRequest(workflow, context: context) }
        }
        try spool.removeFolder(Layout.wmbs(workflow).root)
        if spool.durability == .full { try spool.syncFolder(WMBSStore.area) }
        context.log.info("workflow closed", ["workflow": workflow, "attempts": String(records.count),
                                             "summary": Self.summaries + "/" + workflow + ".json"])
    }

    /// The workflow's Running elements are Done (WMCore's `doneWork`); the global queue reports them.
    func markElementsDone(_ workflow: String, context: StageContext) throws {
        let store = ElementStore(spool: context.spool)
        let now = context.now()
        let pass = TransitionPass(area: store.area, actor: name)
        for state in [ElementStatus.running, .acquired] {
            _ = try pass.run(state, batchSize: context.options.batchSize, context: context) { element in
                guard element.requestName == workflow else { return false }
                try element.transition(to: .done, actor: name, reason: "every subscription of the workflow finished", at: now)
                return true
            }
        }
    }

    /// The next status on the way to `completed` (or `aborted-completed`), nil when there is none.
    static func nextStatus(after status: RequestStatus) -> RequestStatus? {
        switch status {
        case .acquired: return .runningOpen
        case .runningOpen: return .runningClosed
        case .runningClosed, .forceComplete: return .completed
        case .aborted: return .abortedCompleted
        default: return nil
        }
    }

    /// Moves the request document along the status table to `completed`, recording each step.
    func completeRequest(_ workflow: String, context: StageContext) throws {
        let requests = Areas.requests(context.spool)
        let file = requests.fileName(workflow)
        guard let status = RequestStatus.allCases.first(where: { context.spool.contains(file, in: requests.folder($0)) }) else {
            context.log.warning("no request document", ["workflow": workflow, "expected": Layout.requests + "/<status>/\(file)"])
            return
        }
        guard case .document(let original) = try requests.load(workflow, in: status, now: context.now(), log: context.log) else { return }
        var request = original
        var current = status
        while let next = Self.nextStatus(after: current) {
            try request.transition(to: next, actor: name, reason: "every subscription finished", at: context.now())
            current = next
        }
        guard current != status else { return }
        request.lastUpdate = context.now()
        try context.spool.inBatch { batch in
            _ = try requests.move(request, original: original, from: status, batch: batch)
        }
    }
}
