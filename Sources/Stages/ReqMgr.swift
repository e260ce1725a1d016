import Foundation
import SpoolKit
import WMCore

/// `wm-reqmgr`: validates submissions dropped in `reqmgr/incoming/`, and makes ReqMgr2's timed moves:
/// announced → normal-archived, aborted-completed → aborted-archived, rejected → rejected-archived
/// after the configured delay. (The moves from the queue and the agents — acquired, running-open,
/// running-closed, completed, aborted-completed — are made by `wm-workqueue` and `wm-taskarchiver`.)
public struct ReqMgrStage: StageCycle {
    public let name = "wm-reqmgr"
    public var placement: StagePlacement { .central }
    /// Makes the request manager for a spool (config cache and catalog lookups included).
    let makeManager: (Spool, AgentConfiguration) -> RequestManager

    /// Makes the stage.
    public init(makeManager: @escaping (Spool, AgentConfiguration) -> RequestManager) {
        self.makeManager = makeManager
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let config = try context.agentConfiguration()
        let manager = makeManager(context.spool, config)
        try manager.ensureFolders()
        var report = try manager.processIncoming(limit: context.options.batchSize, actor: name, now: context.now(), log: context.log)
        let pass = TransitionPass(area: manager.area, actor: name)
        let archive: [(RequestStatus, RequestStatus)] = [(.announced, .normalArchived), (.abortedCompleted, .abortedArchived),
                                                         (.rejected, .rejectedArchived)]
        for (from, to) in archive {
            let now = context.now()
            report.include(try pass.run(from, batchSize: context.options.batchSize, context: context) { request in
                let since = request.history.last(where: { $0.to == from.rawValue })?.time ?? request.lastUpdate
                guard now - since >= config.workQueue.archiveDelay else { return false }
                try request.transition(to: to, actor: name, reason: "archived \(Int(config.workQueue.archiveDelay)) s after \(from.rawValue)", at: now)
                return true
            })
        }
        return report
    }
}
