import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// The global queue's side of agents with spools of their own (a central spool, `SpoolRole.central`): it applies
/// the agents' completion reports, takes the work of silent agents back, and accounts a request before it completes
/// (the agents cannot: each sees only its part).
extension GlobalWorkQueueStage {
    /// Applies every pending completion report (`AgentLedger`): the listed elements still Running (or Acquired) for
    /// that agent go to Done, the blocks it names are marked reported, and the report is filed in
    /// `archive/completions/`. An element the agent no longer holds (taken back, canceled) is left alone. An
    /// unreadable report is quarantined with its reason.
    func applyCompletions(store: ElementStore, context: StageContext) throws -> CycleReport {
        let ledger = AgentLedger(spool: context.spool)
        var report = CycleReport()
        let pending = try ledger.pendingCompletions()
        guard !pending.isEmpty, !context.options.dryRun else { return report }
        var finishing: [String: AgentLedger.CompletionReport] = [:]   // "<agent>/<element>" → the agent's report
        var applicable: [(folder: String, file: String, report: AgentLedger.CompletionReport)] = []
        for entry in pending {
            switch entry.report {
            case .success(let completion):
                applicable.append((entry.folder, entry.file, completion))
                if !ledger.isFenced(agent: completion.agent, request: completion.request) {
                    for element in completion.elements { finishing[completion.agent + "/" + element] = completion }
                }
            case .failure(let problem):
                context.log.warning("quarantined", ["file": entry.folder + "/" + entry.file, "reason": problem.description])
                try ledger.central.quarantine(entry.file, in: entry.folder, reason: problem.description)
                report.quarantined += 1
            }
        }
        let now = context.now()
        let pass = TransitionPass(area: store.area, actor: name)
        for state in [ElementStatus.running, .acquired] where !finishing.isEmpty {
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { element in
                guard let agent = element.agent, let completion = finishing[agent + "/" + element.name],
                      element.requestName == completion.request else { return false }
                if let progress = completion.progress?[element.name] { element.progress = progress }
                try element.transition(to: .done, actor: name, reason: "agent '\(completion.agent)' finished its work and uploaded it "
                                       + "(\(completion.blocks.count) block(s))", at: now)
                return true
            })
        }
        for entry in applicable {
            if !ledger.isFenced(agent: entry.report.agent, request: entry.report.request) {
                try ledger.markReported(agent: entry.report.agent, request: entry.report.request, records: entry.report.blocks)
            }
            try ledger.archive(entry.file, of: entry.report.agent, time: now)
        }
        report.backlog = 0
        return report
    }

    /// WMCore's `resetWork` for agents that went away: the elements an agent holds (Acquired or Running) whose agent
    /// has not run its local queue for `timeout` seconds go back to Available for the other agents, request by
    /// request. First the agent is fenced off the request, then every block it uploaded for it and did not report
    /// complete is invalidated in the catalog and its ACDC records of the request are withdrawn (whoever redoes the work
    /// records its own failures), then its elements are reset (`AgentLedger` says why this order is
    /// safe against an agent that was only slow). Elements half-claimed in a silent agent's claim folder go back too.
    func takeBackFromSilentAgents(store: ElementStore, timeout: Double, context: StageContext) throws -> CycleReport {
        let now = context.now()
        let heartbeats = AgentHeartbeats(spool: context.spool)
        let ledger = AgentLedger(spool: context.spool)
        let catalog = CatalogStore(spool: context.spool)
        var report = CycleReport()
        report.done += try LocalWorkQueueStage.releaseClaims(store: store, timeout: timeout, now: now, dryRun: context.options.dryRun) {
            now - heartbeats.lastSeen($0, fallback: 0) > timeout
        }
        var fenced: Set<String> = []   // "<agent>/<request>" fenced and invalidated in this cycle
        let pass = TransitionPass(area: store.area, actor: name)
        for state in [ElementStatus.acquired, .running] {
            report.include(try pass.run(state, batchSize: context.options.batchSize, context: context) { element in
                guard let owner = element.agent else { return false }
                // The element's agent is what a document says: a name that is no agent's is this element's problem.
                guard SpoolRoles.isValidAgentName(owner) else {
                    throw DocumentProblem("element \(element.name): field 'agent' is '\(owner)'; expected \(SpoolRoles.agentNamePattern)")
                }
                let lastSeen = heartbeats.lastSeen(owner, fallback: element.history.last?.time ?? 0)
                guard now - lastSeen > timeout else { return false }
                if context.options.dryRun {
                    context.log.info("would take back", ["element": element.name, "agent": owner])
                    return false
                }
                let reason = "agent '\(owner)' silent for \(Int(now - lastSeen)) s (timeout \(Int(timeout)) s)"
                var invalidated = 0
                if fenced.insert(owner + "/" + element.requestName).inserted {
                    try ledger.fence(agent: owner, request: element.requestName, reason: reason + "; its work on \(element.requestName) taken back at \(now)")
                    for block in try ledger.unreportedOrigins(agent: owner, request: element.requestName).values.sorted() {
                        invalidated += try catalog.invalidate(block: block)
                    }
                    let withdrawn = try ACDCStore(spool: context.spool).withdraw(workflow: element.requestName, agent: owner)
                    context.log.warning("agent silent: its work goes back to the queue",
                                        ["agent": owner, "request": element.requestName, "invalidatedFiles": String(invalidated),
                                         "withdrawnACDCRecords": String(withdrawn)])
                }
                try element.body.reset(actor: name, reason: reason + ": back to the queue; what it uploaded of the request and did not "
                                       + "report complete is invalidated", at: now)
                return true
            })
        }
        report.backlog = 0
        return report
    }

    /// On a central spool, the request's account is computed (from the central catalog) and kept in
    /// `archive/accounts/<request>.json` before the request completes, as the task archiver does on an all-in-one
    /// spool; work missing without an ACDC record is recorded in ACDC first.
    func accountBeforeCompletion(_ request: String, context: StageContext) throws {
        guard SpoolRoles.role(of: context.spool) == .central else { return }
        let accounting = RequestAccounting(spool: context.spool)
        guard try accounting.stored(request) == nil, try ElementStore(spool: context.spool).workload(request) != nil else { return }
        let account = try accounting.close(request, now: context.now())
        try context.spool.ensureDirectories([RequestAccounting.area])
        try context.spool.inBatch { batch in
            if !context.spool.contains(request + ".json", in: RequestAccounting.area) {
                try batch.publish(try RequestAccounting.encoded(account), as: request + ".json", in: RequestAccounting.area)
            }
        }
        if !account.isAccepted {
            context.log.warning("request incomplete", ["request": request, "account": account.verdict.rawValue,
                                                      "see": "wmctl request account \(request)"])
        }
    }
}
