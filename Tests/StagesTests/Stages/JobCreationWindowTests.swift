import Foundation
import SpoolKit
@testable import SpoolLayout
@testable import Stages
import TestSupport
import Testing
import WMCore

/// The task archiver and the fileset closer never take a subscription for finished while the job creator is
/// publishing its jobs (found by the full suite: a cron-driven production once closed with no job at all).
@Suite struct JobCreationWindowTests {
    @Test func aSubscriptionWithAPendingJobGroupIsNotIdleAndItsJobsAreNotVanished() throws {
        let agent = try EndToEndAgent("creation-window")
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        for stage in agent.stages().prefix(4) { _ = try stage.runCycle(agent.context) }  // reqmgr, queues, job creator
        let jobs = try agent.spool.scan("jobs/created").names
        try #require(!jobs.isEmpty)
        let store = WMBSStore(spool: agent.spool)
        let subscription = try #require(try store.subscriptions(of: name).first { $0.taskType == "Production" })
        // The moment inside the job creator's commit: its group record pending, files and markers in place, the job
        // documents not yet in jobs/created.
        let groups = store.subscriptionFolder(name, subscription.name) + "/jobgroups"
        let record = try #require(try agent.spool.scan(groups + "/done").names.first)
        try FileManager.default.copyItem(atPath: agent.spool.path(groups + "/done/" + record), toPath: agent.spool.path(groups + "/pending/" + record))
        let aside = TestSupport.temporaryDirectory("creation-window-aside")
        for job in jobs { try FileManager.default.moveItem(atPath: agent.spool.path("jobs/created/" + job), toPath: aside + "/" + job) }

        #expect(try !FilesetCloser(spool: agent.spool, log: agent.context.log).isIdle(name, subscription.name))
        _ = try TaskArchiverStage().runCycle(agent.context)
        #expect(agent.status(of: name) != "completed", "closed while its jobs were being created")
        #expect(try ACDCStore(spool: agent.spool).records(workflow: name).isEmpty, "jobs being created are not vanished")
    }
}

/// A kill between an element's move to Running and the "workflow injected" flag must not stall the workflow.
@Suite struct InjectionFlagTests {
    @Test func aWorkflowWhoseElementsAreAllRunningIsFlaggedInjectedOnTheNextCycle() throws {
        let agent = try EndToEndAgent("injected-flag")
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 200, perJob: 200, perLumi: 100, tasks: 1))
        for stage in agent.stages().prefix(3) { _ = try stage.runCycle(agent.context) }  // reqmgr, global and local queue
        let store = WMBSStore(spool: agent.spool)
        try #require(store.isInjected(name))
        // The state a kill leaves: the element Running, the flag never written.
        try FileManager.default.removeItem(atPath: agent.spool.path("wmbs/\(name)/injected"))
        _ = try LocalWorkQueueStage(agent: "agent1").runCycle(agent.context)
        #expect(store.isInjected(name), "flagged from the elements' states, not only in the cycle that injected them")
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        #expect(try agent.account(of: name).verdict == .complete)
    }
}
