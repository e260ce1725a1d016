import Foundation
import Testing
@testable import WMCore

/// Issue 19 item 6: the workflow-wide failure-rate limit (agent configuration and request argument).
@Suite struct FailureRateTests {
    private func tally(failed: Int, succeeded: Int) -> FailureTally {
        var tally = FailureTally()
        for _ in 0..<failed { tally.add(succeeded: false) }
        for _ in 0..<succeeded { tally.add(succeeded: true) }
        return tally
    }

    @Test func aLimitBreaksOnlyAboveItsThresholdAfterItsMinimumAttempts() throws {
        let limit = FailureRateLimit(threshold: 0.5, minimumAttempts: 10)
        #expect(limit.breach(tally(failed: 9, succeeded: 0)) == nil, "9 attempts are fewer than the minimum 10")
        #expect(limit.breach(tally(failed: 5, succeeded: 5)) == nil, "exactly the threshold is allowed")
        let reason = try #require(limit.breach(tally(failed: 31, succeeded: 9)))
        #expect(reason == "31 of 40 job attempts failed (77.5%), above the failure threshold 50%")
        #expect(FailureRateLimit(threshold: 1).breach(tally(failed: 100, succeeded: 0)) == nil, "threshold 1 never stops")
        #expect(FailureRateLimit(threshold: 0, minimumAttempts: 1).breach(tally(failed: 1, succeeded: 99)) != nil)
    }

    @Test func theRequestsThresholdReplacesTheAgentsAndKeepsItsMinimum() throws {
        let agent = FailureRateLimit(threshold: 0.9, minimumAttempts: 50)
        let fromRequest = try #require(FailureRateLimit.effective(request: 0.2, agent: agent))
        #expect(fromRequest.limit == FailureRateLimit(threshold: 0.2, minimumAttempts: 50))
        #expect(fromRequest.source == "request argument FailureRateThreshold")
        #expect(FailureRateLimit.effective(request: 0.2, agent: nil)?.limit.minimumAttempts == FailureRateLimit.defaultMinimumAttempts)
        #expect(FailureRateLimit.effective(request: nil, agent: agent)?.source == "agent configuration workflowFailureRate")
        #expect(FailureRateLimit.effective(request: nil, agent: nil) == nil, "no limit unless one is set")
    }

    @Test func theAgentConfigurationKeyIsRangeChecked() throws {
        let good = try AgentConfiguration(validating: Array(#"{"workflowFailureRate": {"threshold": 0.4}}"#.utf8), path: "etc/agent.json")
        #expect(good.workflowFailureRate == FailureRateLimit(threshold: 0.4, minimumAttempts: 10))
        #expect(try AgentConfiguration(validating: Array("{}".utf8), path: "etc/agent.json").workflowFailureRate == nil)
        for (text, field) in [(#"{"workflowFailureRate": {"threshold": 1.5}}"#, "workflowFailureRate.threshold"),
                              (#"{"workflowFailureRate": {"threshold": 0.5, "minimumAttempts": 0}}"#, "workflowFailureRate.minimumAttempts"),
                              (#"{"workflowFailureRate": {"minimumAttempts": 5}}"#, "workflowFailureRate.threshold"),
                              (#"{"workflowFailureRate": {"threshold": 0.5, "window": 5}}"#, "workflowFailureRate.window")] {
            let error = #expect(throws: ConfigurationError.self, "\(text)") {
                try AgentConfiguration(validating: Array(text.utf8), path: "etc/agent.json")
            }
            #expect(error?.field == field, "\(text): \(String(describing: error))")
        }
    }

    @Test func theRequestArgumentIsValidatedAndReachesTheWorkload() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.create["FailureRateThreshold"] = .double(0.3)
        input.assign?["FailureRateThreshold"] = .double(0.25)
        let (create, assign) = try Support.validator.validate(input)
        let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
        #expect(workload.failureRateThreshold == 0.25, "the assignment's value wins")
        input.assign?["FailureRateThreshold"] = .double(1.5)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        #expect(error?.problems.map(\.field) == ["assignRequest.FailureRateThreshold"], "\(String(describing: error))")
    }
}

/// Issue 19 item 5: `BlockCloseMax*` close the blocks of a workflow's outputs, within the agent's limits.
@Suite struct BlockCloseLimitTests {
    private func file(_ n: Int, workflow: String) -> DBSBufferFile {
        DBSBufferFile(lfn: "/store/mc/A/B/GEN-SIM/v1/000/f\(n).root", dataset: "/A/B-v1/GEN-SIM", location: "T2_CH_CERN", size: 10, events: 100,
                      adler32: "1", cksum: "1", lumis: [], parents: [], workflow: workflow, task: "/wf/T", outputModule: "out",
                      release: "CMSSW_14_0_0", globalTag: "GT", prepID: nil, insertTime: 1)
    }

    @Test func aWorkflowsLimitsCloseItsBlocksWithinTheAgents() throws {
        let assignment = RequestArguments(["BlockCloseMaxFiles": .int(2), "BlockCloseMaxWaitTime": .int(100)])
        let own = BlockLimits(assignment: assignment)
        #expect(own == BlockLimits(maxFiles: 2, maxEvents: 25_000_000, maxSize: 5_000_000_000_000, maxAge: 100))
        var planner = BlockPlanner(limits: .wmcore, openBlocks: [], now: 0, workflowLimits: { $0.workflow == "small" ? own : nil })
        for n in 1...5 { planner.assign(file(n, workflow: "small")) }
        #expect(planner.closing.map(\.files.count) == [2, 2], "blocks of 2 files close at once")
        #expect(planner.open.values.map(\.closeLimits) == [own], "the open block keeps its limits for later cycles")
        let openBlock = try #require(planner.open.values.first)
        #expect(planner.limits(of: openBlock).isTooOld(openBlock, now: 102), "its wait time is the workflow's 100 s")
        // The agent's tighter limits still hold for every block.
        var strict = BlockPlanner(limits: BlockLimits(maxFiles: 1, maxEvents: 10, maxSize: 10, maxAge: 10), openBlocks: [], now: 0,
                                  workflowLimits: { _ in own })
        for n in 1...2 { strict.assign(file(n, workflow: "small")) }
        #expect(strict.closing.count == 2)
    }
}

/// Issue 19 item 2: the workflow summary shows each task's CPU efficiency, CPU time over wall time × threads.
@Suite struct CPUEfficiencyTests {
    private func record(_ job: String, task: String, wall: Double?, cpu: Double?, threads: Int?, outcome: String = "success") -> AccountingRecord {
        var r = AccountingRecord(job: job, retry: 0, workflow: "wf", task: task, taskType: "Production", outcome: outcome, exitCode: 0,
                                 step: "cmsRun1", errors: [], site: "T2_CH_CERN", jobTime: wall, peakRSS: nil, events: 10,
                                 inputs: [], runs: [], outputs: [], logArchive: nil)
        r.cpuTime = cpu
        r.threads = threads
        return r
    }

    @Test func efficiencyIsCPUOverWallTimesThreadsOfSuccessfulJobs() throws {
        let records = [record("a", task: "/wf/Gen", wall: 100, cpu: 320, threads: 4),   // 80%
                       record("b", task: "/wf/Gen", wall: 100, cpu: 80, threads: 4),    // 20%: together 400 of 800 → 50%
                       record("c", task: "/wf/Gen", wall: 100, cpu: 400, threads: 4, outcome: "jobfailed"),  // not counted
                       record("d", task: "/wf/Merge", wall: 10, cpu: 9, threads: nil),  // 1 thread: 90%
                       record("e", task: "/wf/Old", wall: 10, cpu: nil, threads: nil)]  // no CPU time recorded
        let summary = WorkflowSummary(workflow: "wf", records: records, now: 0)
        #expect(summary.performance["/wf/Gen"]?.cpuEfficiency == 0.5)
        #expect(summary.performance["/wf/Merge"]?.cpuEfficiency == 0.9)
        #expect(summary.performance["/wf/Old"]?.cpuEfficiency == nil)
        #expect(summary.text.contains("/wf/Gen CPU efficiency: 50%"), "\(summary.text)")
    }
}
