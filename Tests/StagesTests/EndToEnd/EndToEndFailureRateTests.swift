import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 19 item 6: a workflow whose job attempts fail above its failure threshold stops being submitted, says why,
/// and goes on only when an operator resumes it.
@Suite struct EndToEndFailureRateTests {
    @Test func aWorkflowAboveItsFailureThresholdStopsBeingSubmittedUntilResumed() throws {
        // Every production attempt fails with 8020 (retried): 12 jobs, 12 failed attempts, above the request's 50%.
        let faults: [String: Any] = ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "exit", "code": 8020],
                                                                      "jobNameContains": "-GenSim-"]]]]
        let agent = try EndToEndAgent("failure-rate", baggage: faults)
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1200, perJob: 100, perLumi: 100, tasks: 1,
                                                                    assignment: ["FailureRateThreshold": 0.5]))
        try agent.runUntilQuiet()

        // The submitter judged the rate once at least 10 attempts had ended (the default minimum); attempts already
        // submitted then still ended, but no job was submitted again: all 12 wait in jobs/created with retries left.
        let records = try AccountingRecords.read(spool: agent.spool, workflow: name)
        let stop = try #require(try SubmissionStopStore(spool: agent.spool).stop(name))
        let judged = try #require(Int(stop.reason.prefix { $0.isNumber }), "\(stop.reason)")
        #expect(stop.isHolding && stop.reason == "\(judged) of \(judged) job attempts failed (100%), above the failure threshold 50%", "\(stop)")
        #expect(judged >= 10 && records.count >= judged && records.count < 12 * 4, "\(judged) judged, \(records.count) attempts ended")
        #expect(records.allSatisfy { $0.outcome != "success" })
        #expect(stop.source == "request argument FailureRateThreshold")
        #expect(try Areas.jobs(agent.spool).scan(.created).count == 12, "the retries wait in jobs/created")
        #expect(try Areas.activeJobCount(agent.spool) == 0, "held jobs are not in flight")
        #expect(agent.status(of: name) == "running-open")

        let status = try agent.wmctlOK(["status"])
        #expect(status.contains("ALERT request \(name): submissions stopped: \(judged) of \(judged) job attempts failed (100%), above the failure threshold 50%"),
                "\(status)")
        let show = try agent.wmctlOK(["request", "show", name])
        #expect(show.contains("SUBMISSIONS STOPPED: \(judged) of \(judged) job attempts failed"), "\(show)")
        #expect(try agent.wmctlOK(["request", "resume", name, "--dry-run"]).contains("would resume"))
        #expect(try SubmissionStopStore(spool: agent.spool).stop(name)?.isHolding == true, "--dry-run changed nothing")

        // A stop damaged by hand is quarantined once with the reason, and the workflow is judged afresh: stopped again.
        let stopFile = agent.spool.path("submission-stops/\(name).json")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: stopFile))
        #expect(agent.wmctl(["status"]).code == 0, "wmctl status still works")
        _ = try JobSubmitterStage().runCycle(agent.context)
        let corrupt = try FileManager.default.contentsOfDirectory(atPath: agent.spool.path(agent.spool.corruptDirectory(for: SubmissionStopStore.area)))
        #expect(corrupt.contains("\(name).json") && corrupt.contains("\(name).json.reason"), "\(corrupt)")
        #expect(try SubmissionStopStore(spool: agent.spool).stop(name)?.isHolding == true, "judged again: still above its threshold")

        // Resumed: the retries run (and, failing every time, the jobs exhaust their retries into ACDC).
        #expect(try agent.wmctlOK(["request", "resume", name]).contains("submissions resumed"))
        #expect(agent.wmctl(["request", "resume", name]).code == 65, "a second resume is refused: nothing is stopped")
        try agent.runUntilQuiet()
        let jobs = try agent.archivedJobs(of: name).filter { $0.taskType == "Production" }
        #expect(jobs.count == 12 && jobs.allSatisfy { $0.retryCount == 3 }, "every job used its 3 retries after the resume: \(jobs.map(\.retryCount))")
        #expect(try SubmissionStopStore(spool: agent.spool).stop(name)?.isHolding == false, "a resumed workflow is not stopped again")
        #expect(agent.status(of: name) == "completed")
    }

    @Test func theAgentsLimitAppliesWhenTheRequestSetsNone() throws {
        let faults: [String: Any] = ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "exit", "code": 8020],
                                                                      "jobNameContains": "-GenSim-"]]]]
        let agent = try EndToEndAgent("failure-rate-agent", baggage: faults)
        defer { agent.killLeftovers() }
        var config = EndToEndAgent.agentConfiguration(baggage: faults, maxRetries: [:])
        config["workflowFailureRate"] = ["threshold": 0.9, "minimumAttempts": 4]
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: URL(fileURLWithPath: agent.spool.path("etc/agent.json")))
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 600, perJob: 100, perLumi: 100, tasks: 1))
        try agent.runUntilQuiet()
        let stop = try #require(try SubmissionStopStore(spool: agent.spool).stop(name))
        #expect(stop.source == "agent configuration workflowFailureRate" && stop.reason.hasSuffix("above the failure threshold 90%"), "\(stop)")
        // Which attempts ended before the judgement depends on timing; what holds is that nothing runs after it.
        #expect(try !Areas.jobs(agent.spool).scan(.created).isEmpty && Areas.activeJobCount(agent.spool) == 0,
                "the jobs with retries left wait in jobs/created, held")
    }
}
